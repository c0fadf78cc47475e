package main

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/instagram"
	"github.com/carillon/carillon/provider/messenger"
	"github.com/carillon/carillon/provider/sandbox"
	"github.com/carillon/carillon/provider/telegram"
	"github.com/carillon/carillon/provider/whatsapp"
)

// providerClient is the HTTP client of the real providers: bounded, so
// that a network that stops answering holds an attempt back for at most
// the timeout, and the attempt is retried.
func providerClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   128,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
		},
		// The Graph and Bot APIs do not redirect; a redirect would carry
		// the bearer token elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// providerRegistry describes every provider carillon runs, the sandbox
// included: a provider is added here, by one line, and in realProviders
// (or serve, for the sandbox).
func providerRegistry() *carillon.ProviderRegistry {
	r, err := carillon.NewProviderRegistry(sandbox.Info(), whatsapp.Info(), telegram.Info(), messenger.Info(), instagram.Info())
	if err != nil {
		panic("carillon: " + err.Error()) // a mistake of this file, caught by every test
	}
	return r
}

// realProviders returns the providers that reach real networks, by name.
func realProviders(log *slog.Logger) map[string]carillon.Provider {
	client := providerClient()
	return map[string]carillon.Provider{
		carillon.ProviderWhatsApp:  whatsapp.New(whatsapp.Options{HTTPClient: client, Logger: log}),
		carillon.ProviderTelegram:  telegram.New(telegram.Options{HTTPClient: client, Logger: log}),
		carillon.ProviderMessenger: messenger.New(messenger.Options{HTTPClient: client, Logger: log}),
		carillon.ProviderInstagram: instagram.New(instagram.Options{HTTPClient: client, Logger: log}),
	}
}
