package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/carillon/carillon"
)

// Callbacks: what the providers' networks send to a channel's callback URL
// (inbound messages, receipts), and the calls carillon makes to them that
// are not sends (registering the callback URL, reading templates, fetching
// inbound media).

// mediaFetchTimeout bounds the download of one inbound file while the
// network waits for the callback's answer.
const mediaFetchTimeout = 20 * time.Second

// CallbackChannel finds the channel whose callback URL a provider's network
// called: an unknown channel, a channel of another provider, or one whose
// provider takes no callbacks, is not_found. It is looked up before the
// request's body is read, so that a call to no channel costs no read.
func (s *Messages) CallbackChannel(ctx context.Context, provider, channelUUID string) (carillon.Channel, error) {
	ch, err := s.callbackChannel(ctx, channelUUID)
	if errors.Is(err, carillon.ErrNotFound) || (err == nil && ch.Provider != provider) {
		return carillon.Channel{}, carillon.NotFound("channel")
	}
	if err != nil {
		return carillon.Channel{}, s.internal(ctx, "callback", err)
	}
	if _, ok := s.providers[provider].(carillon.CallbackParser); !ok {
		return carillon.Channel{}, carillon.NotFound("channel")
	}
	return ch, nil
}

// callbackChannel returns the channel of that uuid, of any account, from
// its account's kept channels when they are at least as new as the version
// read with it (kept_channels.go): a callback, its signature checked with
// the channel's secret, no longer reads the channel and opens its sealed
// settings each time.
func (s *Messages) callbackChannel(ctx context.Context, uuid string) (carillon.Channel, error) {
	read, err := s.readChannelVersion(ctx, uuid)
	if err != nil {
		return carillon.Channel{}, err
	}
	if read.missing {
		return carillon.Channel{}, carillon.ErrNotFound
	}
	kept, err := s.keptChannelsAt(ctx, read.accountID, read.version)
	if err != nil {
		return carillon.Channel{}, err
	}
	if ch, ok := kept.byID[read.id]; ok {
		return ch, nil
	}
	return s.store.ChannelForCallback(ctx, uuid) // deleted since: as the store has it
}

// channelVersion is what ChannelVersionByUUID reads of a callback's
// channel, or that there is none.
type channelVersion struct {
	accountID, id, version int64
	missing                bool
}

// readChannelVersion reads the version of a callback's channel. On PostgreSQL
// the callbacks that come while one is read wait for it and are then read
// together (callbackChannels): a statement less for each, where every one
// is a round trip and a backend's work (docs/benchmarks.md). On SQLite,
// where a read is no round trip, gathering made no callback faster: each
// callback reads its own.
func (s *core) readChannelVersion(ctx context.Context, uuid string) (channelVersion, error) {
	if s.store.Shared() {
		return s.callbackChannels.Do(ctx, uuid)
	}
	return s.channelVersionByUUID(ctx, uuid)
}

// channelVersionByUUID reads the version of the channel of that uuid; a
// channel that is not there is missing, not an error.
func (s *core) channelVersionByUUID(ctx context.Context, uuid string) (channelVersion, error) {
	var v channelVersion
	var err error
	v.accountID, v.id, v.version, err = s.store.ChannelVersionByUUID(ctx, uuid)
	if errors.Is(err, carillon.ErrNotFound) {
		return channelVersion{missing: true}, nil
	}
	return v, err
}

// channelVersions reads the channel versions of callbacks, each channel
// once: the callbacks gathered while a read is in flight are mostly those
// of one channel, a busy number. Each is read after it came, so a secret
// changed before a callback came is the one it is checked with.
func (s *core) channelVersions(ctx context.Context, uuids []string) ([]channelVersion, error) {
	out := make([]channelVersion, len(uuids))
	read := make(map[string]channelVersion, 1)
	for i, uuid := range uuids {
		v, ok := read[uuid]
		if !ok {
			var err error
			if v, err = s.channelVersionByUUID(ctx, uuid); err != nil {
				return nil, err
			}
			read[uuid] = v
		}
		out[i] = v
	}
	return out, nil
}

// Callback handles a request that a provider's network made to the callback
// URL of channel ch (found by CallbackChannel). It answers the reply the
// provider asks for (WhatsApp's handshake), or nil once everything the
// request carried is stored. A request the provider refuses is a
// *carillon.CallbackError.
func (s *Messages) Callback(ctx context.Context, ch carillon.Channel, cb carillon.Callback) (*carillon.CallbackReply, error) {
	parser, ok := s.providers[ch.Provider].(carillon.CallbackParser)
	if !ok {
		return nil, carillon.NotFound("channel")
	}
	res, err := parser.ParseCallback(ch, cb)
	if err != nil {
		return nil, err
	}
	if res.Reply != nil {
		return res.Reply, nil
	}
	if res.ChannelAddress != "" && res.ChannelAddress != ch.Address {
		// The network names the channel's number in its callbacks: a
		// number changed in Meta's console shows from the next one on.
		if err := s.inTx(ctx, func(q carillon.Queries) error { return q.SetChannelAddress(ctx, ch.ID, res.ChannelAddress) }); err != nil {
			return nil, s.internal(ctx, "callback", err)
		}
		ch.Address = res.ChannelAddress
	}
	for _, in := range res.Messages {
		in = cleanInbound(in)
		in.ChannelID = ch.ID
		if err := inboundSender(ch, in); err != nil {
			// Answered 200 all the same: the network would send it again
			// and again, and it would never be better.
			s.log.WarnContext(ctx, "inbound message not stored: its sender is not an address", "channel", ch.UUID,
				"external_id", clip(in.ExternalID), "from", clip(in.From), "reason", err.Error())
			continue
		}
		if in.Echo && in.EchoOf != "" {
			// The echo of carillon's own send: stored already, its file
			// is not fetched.
			if m, err := s.store.MessageByUUID(ctx, ch.AccountID, in.EchoOf); err == nil && m.ChannelID == ch.ID {
				continue
			}
		}
		if in.ProfileName == "" && in.From != "" {
			in.ProfileName = s.newContactName(ctx, ch, in.From)
		}
		if in.Media != nil && in.Content.URL == "" {
			// The network repeats a message it is not sure arrived: stored
			// already, its media is not fetched again (Receive stores the
			// other repeats once by itself).
			if in.ExternalID != "" {
				if _, err := s.store.MessageByExternalID(ctx, ch.ID, in.ExternalID); err == nil {
					continue
				}
			}
			in.Content.URL = s.keepMedia(ctx, ch, *in.Media)
		}
		if len(in.Details) > 0 {
			in.Content.Details = in.Details
		}
		if _, err := s.Receive(ctx, ch, in); err != nil {
			return nil, err
		}
	}
	receipts := make([]carillon.Receipt, 0, len(res.Receipts))
	for _, r := range res.Receipts {
		r = cleanReceipt(r)
		r.ChannelID = ch.ID
		receipts = append(receipts, r)
	}
	if err := s.ApplyReceipts(ctx, ch, receipts); err != nil {
		return nil, err
	}
	for _, d := range res.Deletions {
		d.ChannelID = ch.ID
		if _, err := s.DeletedByCustomer(ctx, ch, d); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// DeletedByCustomer records that a customer deleted (unsent) on the
// network a message they had sent to channel ch: the inbound message is
// marked deleted at the time the network names, its content cleared (the
// text, the details, the link to its file; the file itself is removed),
// once: a repeated deletion changes nothing. It makes no webhook event
// (message_status_updated is an outgoing message's delivery), only a
// change of the chat, which the live inbox shows. A deletion of a message
// carillon does not have, of an outgoing one, or sent by someone else
// than the customer it names, is ignored (reported as false).
func (s *Messages) DeletedByCustomer(ctx context.Context, ch carillon.Channel, d carillon.Deletion) (bool, error) {
	if d.ExternalID == "" {
		return false, nil
	}
	read := func(ctx context.Context, q carillon.Queries) (carillon.Message, error) {
		m, err := q.MessageByExternalID(ctx, ch.ID, d.ExternalID)
		if err == nil && m.Direction != carillon.Inbound {
			return m, carillon.ErrNotFound
		}
		return m, err
	}
	m, err := read(ctx, s.store)
	if errors.Is(err, carillon.ErrNotFound) {
		s.log.InfoContext(ctx, "deletion of a message carillon has not received ignored", "channel", ch.UUID, "external_id", clip(d.ExternalID))
		return false, nil
	}
	if err != nil {
		return false, s.internal(ctx, "deleted by customer", err)
	}
	if !m.DeletedAt.IsZero() {
		return true, nil
	}
	var file string
	var marked bool
	err = s.commit.do(ctx, uint64(m.ContactID), func(ctx context.Context, q carillon.Queries) error {
		file, marked = "", false
		cur, err := read(ctx, q)
		if err != nil {
			return err
		}
		c, err := q.ContactByID(ctx, cur.AccountID, cur.ContactID)
		if err != nil {
			return err
		}
		if !cur.DeletedAt.IsZero() || (d.From != "" && c.Address != d.From) {
			return nil
		}
		now := s.clock.Now()
		at := d.At
		if at.IsZero() || at.After(now) {
			at = now
		}
		file = s.mediaName(cur.Content.URL)
		cur.DeletedAt, cur.UpdatedAt = at, now
		if err := q.EraseMessage(ctx, &cur); err != nil {
			return err
		}
		marked = true
		return s.chatChanged(ctx, q, carillon.ChangeMessageDeleted, c, nil)
	})
	if err != nil {
		return false, s.internal(ctx, "deleted by customer", err)
	}
	if marked && file != "" && s.media != nil {
		if err := s.media.Delete(ctx, file); err != nil {
			s.log.WarnContext(ctx, "the file of a message its customer deleted was not removed", "file", file, "error", err)
		}
	}
	return true, nil
}

// profileTimeout bounds the network's answer for a new contact's name
// while it waits for the callback's answer.
const profileTimeout = 5 * time.Second

// newContactName asks the network of a provider that can tell
// (carillon.ProfileReader: Messenger, Instagram) the name of a customer
// who has no contact on the channel yet: once per contact, when it is
// made. "" for a known customer, or when the network does not tell (the
// contact is stored without a name all the same).
func (s *Messages) newContactName(ctx context.Context, ch carillon.Channel, address string) string {
	reader, ok := s.providers[ch.Provider].(carillon.ProfileReader)
	if !ok {
		return ""
	}
	if _, err := s.store.ContactByAddress(ctx, ch.ID, address); !errors.Is(err, carillon.ErrNotFound) {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, profileTimeout)
	defer cancel()
	name, err := reader.ReadProfile(ctx, ch, address)
	if err != nil {
		s.log.InfoContext(ctx, "the new contact's name was not read", "channel", ch.UUID, "error", err)
		return ""
	}
	return carillon.CleanText(name)
}

// keepMedia downloads an inbound file from the network into the media
// store and returns the URL it is served at, <public URL>/media/<key>.<ext>
// (the extension of the type it is kept as, by which clients choose how to
// show it, as they do with Callbell's); "" when it could not be kept (the
// message is stored all the same, without its attachment).
func (s *Messages) keepMedia(ctx context.Context, ch carillon.Channel, m carillon.InboundMedia) string {
	fetcher, ok := s.providers[ch.Provider].(carillon.MediaFetcher)
	if !ok || s.media == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, mediaFetchTimeout)
	defer cancel()
	body, typ, err := fetcher.FetchMedia(ctx, ch, m)
	if err != nil {
		s.log.WarnContext(ctx, "inbound media not kept", "channel", ch.UUID, "error", err)
		return ""
	}
	defer body.Close()
	if typ == "" {
		typ = m.MimeType
	}
	name, err := s.media.Put(ctx, body, typ, m.Filename)
	if err != nil {
		s.log.WarnContext(ctx, "inbound media not kept", "channel", ch.UUID, "error", err)
		return ""
	}
	return s.publicURL + "/media/" + name
}

// mediaName is the name in the media store of a file carillon serves at
// url; "" for a URL that is not one of carillon's own files.
func (s *Messages) mediaName(url string) string {
	name, ok := strings.CutPrefix(url, s.publicURL+"/media/")
	if !ok || name == "" || strings.ContainsAny(name, "/?#") {
		return ""
	}
	return name
}

// Media opens an inbound file kept in the media store, by the last part
// of its URL (its key, with or without its extension).
func (s *Messages) Media(ctx context.Context, name string) (carillon.MediaFile, error) {
	if s.media == nil {
		return carillon.MediaFile{}, carillon.NotFound("file")
	}
	f, err := s.media.Open(ctx, name)
	if errors.Is(err, carillon.ErrNotFound) {
		return f, carillon.NotFound("file")
	}
	return f, err
}

// RegisterCallback tells the network of a channel whose provider needs it
// (Telegram's setWebhook) where to call carillon back: the channel's
// callback URL under publicURL. Other channels need nothing.
func (s *Messages) RegisterCallback(ctx context.Context, ch carillon.Channel, publicURL string) error {
	reg, ok := s.providers[ch.Provider].(carillon.CallbackRegistrar)
	if !ok || !ch.Active() {
		return nil
	}
	if err := reg.RegisterCallback(ctx, ch, s.CallbackURL(publicURL, ch)); err != nil {
		return fmt.Errorf("channel %s is saved, but its callback URL could not be registered with %s: %w", ch.Title, ch.Provider, err)
	}
	return nil
}

// SyncTemplates reads the templates of the account's channels whose
// provider keeps them (WhatsApp) into carillon's templates: new ones are
// created, changed ones updated. channelUUID, when not empty, limits it to
// that channel. It returns one line per template created or changed.
func (s *Messages) SyncTemplates(ctx context.Context, accountID int64, channelUUID string) ([]string, error) {
	channels, err := s.store.AllChannels(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var changes []string
	var failures []error
	found := channelUUID == ""
	for _, ch := range channels {
		if channelUUID != "" && ch.UUID != channelUUID {
			continue
		}
		found = true
		src, ok := s.providers[ch.Provider].(carillon.TemplateSource)
		if !ok || !ch.Active() {
			continue
		}
		list, err := src.FetchTemplates(ctx, ch)
		if errors.Is(err, carillon.ErrNotConfigured) && channelUUID == "" {
			continue // a channel not set up for it is skipped unless named
		}
		if err != nil {
			// One channel's failure leaves the others to sync.
			failures = append(failures, fmt.Errorf("channel %s: %w", ch.Title, err))
			continue
		}
		err = s.inTx(ctx, func(q carillon.Queries) error {
			for _, t := range list {
				line, err := s.upsertTemplate(ctx, q, ch, cleanTemplate(t))
				if err != nil {
					return err
				}
				if line != "" {
					changes = append(changes, line)
				}
			}
			return nil
		})
		if err != nil {
			return changes, err
		}
	}
	if !found {
		return nil, carillon.NotFound("channel")
	}
	return changes, errors.Join(failures...)
}

func (s *Messages) upsertTemplate(ctx context.Context, q carillon.Queries, ch carillon.Channel, t carillon.Template) (string, error) {
	now := s.clock.Now()
	cur, err := q.TemplateByKey(ctx, ch.ID, t.Title, t.Language)
	if errors.Is(err, carillon.ErrNotFound) {
		t.UUID, t.AccountID, t.ChannelID, t.CreatedAt, t.UpdatedAt = carillon.NewUUID(), ch.AccountID, ch.ID, now, now
		if err := q.CreateTemplate(ctx, &t); err != nil {
			return "", err
		}
		return fmt.Sprintf("created template %s (%s) on %s: %s", t.Title, t.Language, ch.Title, t.Status), nil
	}
	if err != nil {
		return "", err
	}
	if cur.Text == t.Text && cur.Type == t.Type && cur.Category == t.Category && cur.Status == t.Status && cur.ExternalID == t.ExternalID &&
		sameButtons(cur.Buttons, t.Buttons) {
		return "", nil
	}
	cur.Text, cur.Type, cur.Category, cur.Status, cur.ExternalID, cur.UpdatedAt = t.Text, t.Type, t.Category, t.Status, t.ExternalID, now
	cur.Buttons = t.Buttons
	if err := q.UpdateTemplate(ctx, &cur); err != nil {
		return "", err
	}
	return fmt.Sprintf("updated template %s (%s) on %s: %s", cur.Title, cur.Language, ch.Title, cur.Status), nil
}
