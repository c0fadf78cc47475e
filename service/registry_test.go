package service_test

import (
	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/sandbox"
	"github.com/carillon/carillon/provider/telegram"
	"github.com/carillon/carillon/provider/whatsapp"
)

// providers is the registry serve builds: the rules are tested against the
// providers' own descriptions.
var providers = func() *carillon.ProviderRegistry {
	r, err := carillon.NewProviderRegistry(sandbox.Info(), whatsapp.Info(), telegram.Info())
	if err != nil {
		panic(err)
	}
	return r
}()
