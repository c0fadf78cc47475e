// Package registry gives tests the provider registry that serve builds:
// every provider carillon runs, described by its own package, so that
// rules and declaration files are checked in tests as they are in serve.
//
// It is a package of its own, beside internal/testrig rather than in it,
// so that tests that need only the descriptions (those of the declaration
// file) do not link the store and its database drivers. Only tests import
// it (internal/archtest holds that line).
package registry

import (
	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/instagram"
	"github.com/carillon/carillon/provider/messenger"
	"github.com/carillon/carillon/provider/sandbox"
	"github.com/carillon/carillon/provider/telegram"
	"github.com/carillon/carillon/provider/whatsapp"
)

// Providers returns a registry of the providers that serve registers
// (cmd/carillon/providers.go), in the same order: a provider added there
// is added here.
func Providers() *carillon.ProviderRegistry {
	r, err := carillon.NewProviderRegistry(sandbox.Info(), whatsapp.Info(), telegram.Info(), messenger.Info(), instagram.Info())
	if err != nil {
		panic("registry: " + err.Error()) // a mistake of this file, caught by every test that uses it
	}
	return r
}
