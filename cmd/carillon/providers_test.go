package main

import (
	"log/slog"
	"maps"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/sandbox"
)

// TestEveryProviderIsDescribedAndImplemented holds the wiring of
// providers.go: the registry accepts the descriptions, and serve finds an
// implementation for each (and a description for each implementation).
func TestEveryProviderIsDescribedAndImplemented(t *testing.T) {
	registry := providerRegistry()
	senders := maps.Clone(realProviders(slog.New(slog.DiscardHandler)))
	senders[carillon.ProviderSandbox] = sandbox.New(time.Second, nil)
	if err := registry.CheckImplementations(senders); err != nil {
		t.Fatal(err)
	}
	for _, name := range registry.Names() {
		info, _ := registry.Lookup(name)
		if name != carillon.ProviderSandbox && len(info.SecretSettings()) == 0 {
			t.Errorf("provider %s describes no secret setting: its credentials would be checked for leaks nowhere", name)
		}
	}
}
