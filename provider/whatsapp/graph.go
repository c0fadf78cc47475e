package whatsapp

import (
	"context"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/metagraph"
)

// label starts the provider's errors.
const label = "whatsapp"

// call makes one Graph API request with the channel's access token and
// reads the answer (metagraph.Call).
func (p *Provider) call(ctx context.Context, ch carillon.Channel, method, rawURL string, body any) (metagraph.Answer, error) {
	return metagraph.Call(ctx, p.client, label, ch.Settings[SettingAccessToken], method, rawURL, body)
}

// describeError is an error for the non-send calls (media, templates): the
// Graph error's code and title, or the HTTP status.
func describeError(what string, a metagraph.Answer) error {
	return metagraph.DescribeError(label, what, a)
}

// classify turns a refused send into a SendError. WhatsApp's failure
// payload carries no error_subcode.
func classify(a metagraph.Answer, now time.Time) *carillon.SendError {
	return metagraph.Codes{Transient: transientCodes, Permanent: permanentCodes}.Classify(a, now)
}
