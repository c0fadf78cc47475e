// Package config loads carillon's settings. Every setting is a command-line
// flag, an environment variable and a key of an optional YAML file, so that
// the same server can be run by hand, from a service manager or from a
// container without a wrapper script. Values are read and checked once, at
// start, and the resulting Config is passed explicitly: there is no global.
//
// A flag wins over the environment, which wins over the file, which wins
// over the defaults.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Scope selects which settings a command accepts. The server needs all of
// its settings, an admin command only those that reach the store, and a
// client command only those that reach a running server; a command refuses
// the flags of the others so that a misplaced flag is noticed, not ignored.
type Scope int

const (
	// ServeScope takes every server setting: all but url and api-key.
	ServeScope Scope = iota
	// StoreScope takes data, database-url, secret-key, new-database,
	// public-url, log-level and log-format: what an admin command needs to open the
	// store itself, and to name and register channels' callback URLs.
	StoreScope
	// ClientScope takes url, api-key, log-level and log-format: what a
	// client command needs to talk to a running server.
	ClientScope
)

// mask returns the bit of s in setting.scopes, or 0 for an unknown scope.
func (s Scope) mask() uint8 {
	switch s {
	case ServeScope, StoreScope, ClientScope:
		return 1 << uint(s)
	}
	return 0
}

// Config holds every setting of carillon. Parse fills the fields of its
// scope; the others keep their defaults.
type Config struct {
	// Addr is the host:port the server listens on.
	Addr string
	// Data is the data folder: the SQLite database, media and the secret
	// key file.
	Data string
	// DatabaseURL, when set, is a PostgreSQL URL (postgres:// or
	// postgresql://) used instead of the SQLite database in Data.
	DatabaseURL string
	// NewDatabase lets a data folder that was used before (it holds
	// secret.key or media/) but has no SQLite database get a new, empty
	// one. Without it such a start is refused: a database that vanished
	// must not be silently replaced by an empty one.
	NewDatabase bool
	// PublicURL is where providers and people reach carillon (callback
	// URLs, links). Empty means "http://" + Addr; read it with
	// PublicBaseURL.
	PublicURL string
	// SecretKey, when set, is the standard base64 encoding of the 32-byte
	// key that encrypts provider secrets at rest. Empty means the file
	// secret.key in the data folder, which the store handles.
	SecretKey string
	// RateLimit is the number of API requests per second per API key,
	// bursts included; 0 means no limit.
	RateLimit int
	// AuthFailureLimit is the number of failed authentications per minute
	// per client address, bursts included, past which the address is
	// refused for a while; 0 means no limit.
	AuthFailureLimit int
	// SessionLifetime is how long a console session lasts unused: each
	// use moves its end this far ahead.
	SessionLifetime time.Duration
	// SignInFailureLimit is the number of failed console sign-ins per
	// client address, and per email, every 15 minutes, bursts included,
	// past which they wait; 0 means no limit.
	SignInFailureLimit int
	// ReadTimeout bounds the reception of a whole request, headers and
	// body.
	ReadTimeout time.Duration
	// MaxConnections bounds the open connections served normally; past
	// it requests answer 503, health checks aside. 0 means no bound.
	MaxConnections int
	// SendMaxAttempts is the number of provider attempts before a message
	// with transient errors fails; at least 1.
	SendMaxAttempts int
	// SandboxDelay is the wait before each sandbox receipt; 0 means at once.
	SandboxDelay time.Duration
	// WebhookAllowPrivate allows webhook URLs on loopback, private and
	// link-local addresses, which are refused by default so that a
	// webhook cannot be aimed at the operator's own network.
	WebhookAllowPrivate bool
	// WebhookTimeout is how long a webhook delivery attempt waits for its
	// answer.
	WebhookTimeout time.Duration
	// WebhookRetryFor is how long an event is retried before it is given
	// up.
	WebhookRetryFor time.Duration
	// WebhookLogRetention is how long the delivery log keeps an event
	// delivered or given up, from its creation; 0 keeps it as long as its
	// webhook.
	WebhookLogRetention time.Duration
	// WebhookConcurrency is the number of deliveries in flight per webhook.
	WebhookConcurrency int
	// SendRetryBase and WebhookRetryBase are the first retry's delay of a
	// send and of a webhook event, doubled at each attempt. Tests shorten
	// them; the defaults suit providers and receivers.
	SendRetryBase, WebhookRetryBase time.Duration
	// WebhookLeaseSlack is how much longer than two attempts an event
	// claimed by an instance stays leased to it: how long, beyond that,
	// the events of an instance that died wait before another takes them.
	WebhookLeaseSlack time.Duration
	// BodyPaceGrace is how long a request's body may take before it must
	// keep coming at 1 KiB a second.
	BodyPaceGrace time.Duration
	// PprofAddr, when set, is a loopback host:port where net/http/pprof
	// is served on a listener of its own, never on Addr; empty means off.
	PprofAddr string
	// PlanChannels is the channel limit that GET /v1/plan reports; nil
	// means unlimited (reported as null), which a plain int could not tell
	// apart from a limit of 0.
	PlanChannels *int
	// PlanLicenses is the license limit that GET /v1/plan reports; nil
	// means unlimited.
	PlanLicenses *int
	// LogLevel is one of debug, info, warn and error; see SlogLevel.
	LogLevel string
	// LogFormat is json or text; see NewLogger.
	LogFormat string
	// URL is the address of the running server that client commands talk
	// to.
	URL string
	// APIKey is the API key client commands authenticate with. It is a
	// secret: no error message holds its value.
	APIKey string
}

// Default returns the configuration used when nothing is set. It is built
// from the same table that Parse and the flag usage read, so the three
// cannot drift apart.
func Default() Config {
	var c Config
	for _, s := range settings {
		if err := s.set(&c, s.def); err != nil {
			panic("config: default of " + s.name + ": " + err.Error())
		}
	}
	return c
}

// UsageError is a mistake in the command line itself (an unknown flag, a
// flag without its value), as opposed to a setting with a bad value.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the flag package's error.
func (e *UsageError) Unwrap() error { return e.Err }

// Parse builds a Config for scope from the YAML file (--config /
// CARILLON_CONFIG), the environment (getenv, nil meaning an empty
// environment) and the flags in args, registering the scope's flags and
// --config on fs (so a caller may add its own flags to fs before calling
// Parse, e.g. --name). It returns fs.Args() (positional arguments) too.
//
// flag.ErrHelp is returned as it is, other errors of fs.Parse (an unknown
// flag, a missing argument) as a *UsageError. Every value given for a setting of the scope is
// checked, even one that a source of higher precedence overrides, and all
// bad values are reported together, each message naming its setting. An
// empty environment variable counts as unset. Keys of the file that are
// settings of another scope are ignored, so that one file serves every
// command; keys that are no setting at all are errors.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string, scope Scope) (Config, []string, error) {
	mask := scope.mask()
	if mask == 0 {
		return Config{}, nil, fmt.Errorf("config: unknown scope %d", int(scope))
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}

	configFile := fs.String("config", "", "read settings from the YAML `file` (env "+configEnv+")")
	flags := make(map[string]*flagValue)
	for i := range settings {
		s := &settings[i]
		if s.scopes&mask == 0 {
			continue
		}
		v := &flagValue{s: s}
		usage := s.usage + " (env " + s.env + ")"
		if s.defNote != "" {
			usage += " (default " + s.defNote + ")"
		}
		fs.Var(v, s.name, usage)
		flags[s.name] = v
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, nil, err
		}
		return Config{}, nil, &UsageError{Err: err}
	}

	path := getenv(configEnv)
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "config" {
			// Even --config= wins: it turns off a file named by
			// the environment.
			path = *configFile
		}
	})
	var file map[string]fileValue
	if path != "" {
		var err error
		if file, err = readFile(path, mask); err != nil {
			return Config{}, nil, err
		}
	}

	c := Default()
	var errs []error
	for i := range settings {
		s := &settings[i]
		if s.scopes&mask == 0 {
			continue
		}
		// Lowest precedence first: each value that is read replaces
		// the one before it.
		if v, ok := file[s.name]; ok {
			if err := s.set(&c, v.text); err != nil {
				errs = append(errs, fmt.Errorf("%w (config file %s, line %d)", s.wrap(err), path, v.line))
			}
		}
		if text := getenv(s.env); text != "" {
			if err := s.set(&c, text); err != nil {
				errs = append(errs, s.wrap(err))
			}
		}
		if v := flags[s.name]; v.set {
			if err := s.set(&c, v.text); err != nil {
				errs = append(errs, s.wrap(err))
			}
		}
	}
	if len(errs) > 0 {
		return Config{}, nil, errors.Join(errs...)
	}
	return c, fs.Args(), nil
}

// PublicBaseURL returns the URL that callback URLs and links start with,
// without a trailing slash so that callers can append "/callbacks/…".
func (c Config) PublicBaseURL() string {
	if c.PublicURL == "" {
		return "http://" + c.Addr
	}
	return strings.TrimRight(c.PublicURL, "/")
}

// SlogLevel returns LogLevel as a slog.Level; a value Parse would refuse
// counts as info.
func (c Config) SlogLevel() slog.Level {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// NewLogger returns a slog logger writing to w in the configured format and
// level: text is easier to read in a terminal, json (the default, and the
// fallback for a value Parse would refuse) is easier for log collectors.
func (c Config) NewLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.SlogLevel()}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// flagValue records a flag's text without reading it, so that a bad value
// is reported by Parse in the same words as a bad environment variable or
// file key, and so that the flag package never echoes a secret in its own
// "invalid value" message.
type flagValue struct {
	s    *setting
	text string
	set  bool
}

// String returns the default until the flag is set (flag.PrintDefaults
// shows it), and never the value of a secret. It must work on a zero
// flagValue, which flag.PrintDefaults builds by reflection.
func (v *flagValue) String() string {
	if v == nil || v.s == nil {
		return ""
	}
	if !v.set || v.s.secret {
		return v.s.def
	}
	return v.text
}

// Set records text; Parse reads it.
func (v *flagValue) Set(text string) error {
	v.text, v.set = text, true
	return nil
}

// IsBoolFlag lets a boolean setting be given as a bare --flag.
func (v *flagValue) IsBoolFlag() bool {
	return v.s != nil && v.s.kind == boolKind
}
