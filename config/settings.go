package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// configEnv names the file of settings when --config is not given.
const configEnv = "CARILLON_CONFIG"

// The scopes a setting belongs to, as bits of Scope.mask.
const (
	inServe  = 1 << uint(ServeScope)
	inStore  = 1 << uint(StoreScope)
	inClient = 1 << uint(ClientScope)
)

// kind tells how a setting's text is read; only booleans need the flag
// package to know, so that a bare --flag means true.
type kind int

const (
	textKind kind = iota
	boolKind
)

// setting describes one setting once, for the flag, the environment
// variable, the file key, the default and the check.
type setting struct {
	name  string // the flag name and the YAML key
	env   string
	usage string // shown by -h; a `word` in it names the flag's argument
	// defNote, shown by -h, explains an empty default.
	defNote string
	def     string // the default, as text
	scopes  uint8
	secret  bool // never shown: its check does not echo it, and -h hides it
	kind    kind
	// set reads text, checks it and stores it in c. Its error describes
	// the problem only; wrap adds the setting's names.
	set func(c *Config, text string) error
}

// wrap names the setting in err, in the one form every message takes,
// "setting NAME (ENV): problem", so that a user can find it in any source.
func (s *setting) wrap(err error) error {
	return fmt.Errorf("setting %s (%s): %w", s.name, s.env, err)
}

// lookup returns the setting named name, in any scope, or nil.
func lookup(name string) *setting {
	for i := range settings {
		if settings[i].name == name {
			return &settings[i]
		}
	}
	return nil
}

// settings lists every setting. docs/configuration.md describes each one;
// TestManual keeps the two in step.
var settings = []setting{
	{
		name: "addr", env: "CARILLON_ADDR", def: "127.0.0.1:8080", scopes: inServe,
		usage: "listen address, `host:port`",
		set:   textSetting(func(c *Config) *string { return &c.Addr }, checkAddr),
	},
	{
		name: "data", env: "CARILLON_DATA", def: "./carillon-data", scopes: inServe | inStore,
		usage: "data `folder`: SQLite database, media, secret key file",
		set:   textSetting(func(c *Config) *string { return &c.Data }, checkNotEmpty),
	},
	{
		name: "database-url", env: "CARILLON_DATABASE_URL", scopes: inServe | inStore, secret: true,
		usage: "PostgreSQL `URL` (postgres://…) to use instead of SQLite",
		set:   textSetting(func(c *Config) *string { return &c.DatabaseURL }, optional(checkDatabaseURL)),
	},
	{
		name: "new-database", env: "CARILLON_NEW_DATABASE", def: "false", scopes: inServe | inStore, kind: boolKind,
		usage: "create a new, empty SQLite database in a data folder used before (secret.key or media/ there, carillon.db not)",
		set:   boolSetting(func(c *Config) *bool { return &c.NewDatabase }),
	},
	{
		name: "public-url", env: "CARILLON_PUBLIC_URL", scopes: inServe | inStore,
		usage:   "`URL` where providers and people reach carillon: callback URLs, links",
		defNote: "http:// + addr",
		set:     textSetting(func(c *Config) *string { return &c.PublicURL }, optional(checkHTTPURL)),
	},
	{
		name: "secret-key", env: "CARILLON_SECRET_KEY", scopes: inServe | inStore, secret: true,
		usage:   "base64 of the 32-byte `key` that encrypts provider secrets at rest",
		defNote: "secret.key in the data folder",
		set:     textSetting(func(c *Config) *string { return &c.SecretKey }, optional(checkSecretKey)),
	},
	{
		name: "rate-limit", env: "CARILLON_RATE_LIMIT", def: "300", scopes: inServe,
		usage: "API `requests` per second per key, bursts included; 0: no limit",
		set:   intSetting(func(c *Config) *int { return &c.RateLimit }, 0),
	},
	{
		name: "auth-failure-limit", env: "CARILLON_AUTH_FAILURE_LIMIT", def: "60", scopes: inServe,
		usage: "failed API key `attempts` per minute per client address, bursts included; 0: no limit",
		set:   intSetting(func(c *Config) *int { return &c.AuthFailureLimit }, 0),
	},
	{
		name: "session-lifetime", env: "CARILLON_SESSION_LIFETIME", def: "336h", scopes: inServe,
		usage: "`duration` a console session lasts unused",
		set:   durationSetting(func(c *Config) *time.Duration { return &c.SessionLifetime }, true),
	},
	{
		name: "sign-in-failure-limit", env: "CARILLON_SIGN_IN_FAILURE_LIMIT", def: "10", scopes: inServe,
		usage: "failed console sign-in `attempts` per client address and per email every 15 minutes, bursts included; 0: no limit",
		set:   intSetting(func(c *Config) *int { return &c.SignInFailureLimit }, 0),
	},
	{
		name: "read-timeout", env: "CARILLON_READ_TIMEOUT", def: "30s", scopes: inServe,
		usage: "longest `duration` to receive a whole request, headers and body",
		set:   durationSetting(func(c *Config) *time.Duration { return &c.ReadTimeout }, true),
	},
	{
		name: "max-connections", env: "CARILLON_MAX_CONNECTIONS", def: "1024", scopes: inServe,
		usage: "open `connections` served; past it, 503 (health checks aside); 0: no bound",
		set:   intSetting(func(c *Config) *int { return &c.MaxConnections }, 0),
	},
	{
		name: "send-max-attempts", env: "CARILLON_SEND_MAX_ATTEMPTS", def: "10", scopes: inServe,
		usage: "provider `attempts` before a message with transient errors fails",
		set:   intSetting(func(c *Config) *int { return &c.SendMaxAttempts }, 1),
	},
	{
		name: "sandbox-delay", env: "CARILLON_SANDBOX_DELAY", def: "200ms", scopes: inServe,
		usage: "`duration` to wait before each sandbox receipt (sent, delivered, read); 0: at once",
		set:   durationSetting(func(c *Config) *time.Duration { return &c.SandboxDelay }, false),
	},
	{
		name: "webhook-allow-private", env: "CARILLON_WEBHOOK_ALLOW_PRIVATE", def: "false", scopes: inServe, kind: boolKind,
		usage: "allow webhook URLs on loopback, private and link-local addresses",
		set:   boolSetting(func(c *Config) *bool { return &c.WebhookAllowPrivate }),
	},
	{
		name: "webhook-timeout", env: "CARILLON_WEBHOOK_TIMEOUT", def: "10s", scopes: inServe,
		usage: "longest `duration` of a webhook delivery attempt",
		set:   durationSetting(func(c *Config) *time.Duration { return &c.WebhookTimeout }, true),
	},
	{
		name: "webhook-retry-for", env: "CARILLON_WEBHOOK_RETRY_FOR", def: "24h", scopes: inServe,
		usage: "`duration` an event is retried for before it is given up",
		set:   durationSetting(func(c *Config) *time.Duration { return &c.WebhookRetryFor }, true),
	},
	{
		name: "webhook-log-retention", env: "CARILLON_WEBHOOK_LOG_RETENTION", def: "720h", scopes: inServe,
		usage: "`duration` the delivery log keeps a delivered or given-up event; 0 keeps it as long as its webhook",
		set:   durationSetting(func(c *Config) *time.Duration { return &c.WebhookLogRetention }, false),
	},
	{
		name: "webhook-concurrency", env: "CARILLON_WEBHOOK_CONCURRENCY", def: "64", scopes: inServe,
		usage: "`deliveries` in flight per webhook",
		set:   intSetting(func(c *Config) *int { return &c.WebhookConcurrency }, 1),
	},
	// The timing of retries and leases: for tests, which shorten them, and
	// for operators with unusual providers or receivers.
	{
		name: "send-retry-base", env: "CARILLON_SEND_RETRY_BASE", def: "1s", scopes: inServe,
		usage: "`duration` before a send's first retry, doubled at each attempt (tests shorten it)",
		set:   durationSetting(func(c *Config) *time.Duration { return &c.SendRetryBase }, true),
	},
	{
		name: "webhook-retry-base", env: "CARILLON_WEBHOOK_RETRY_BASE", def: "1s", scopes: inServe,
		usage: "`duration` before a webhook event's first retry, doubled at each attempt (tests shorten it)",
		set:   durationSetting(func(c *Config) *time.Duration { return &c.WebhookRetryBase }, true),
	},
	{
		name: "webhook-lease-slack", env: "CARILLON_WEBHOOK_LEASE_SLACK", def: "10s", scopes: inServe,
		usage: "`duration` an event stays leased beyond 2 × webhook-timeout (tests shorten it)",
		set:   durationSetting(func(c *Config) *time.Duration { return &c.WebhookLeaseSlack }, true),
	},
	{
		name: "body-pace-grace", env: "CARILLON_BODY_PACE_GRACE", def: "5s", scopes: inServe,
		usage: "`duration` a request body may take before it must come at 1 KiB/s at least (tests shorten it)",
		set:   durationSetting(func(c *Config) *time.Duration { return &c.BodyPaceGrace }, true),
	},
	{
		name: "pprof-addr", env: "CARILLON_PPROF_ADDR", scopes: inServe,
		usage:   "loopback `host:port` serving Go's CPU and memory profiles (net/http/pprof) apart from the API",
		defNote: "off",
		set:     textSetting(func(c *Config) *string { return &c.PprofAddr }, optional(checkLoopbackAddr)),
	},
	{
		name: "plan-channels", env: "CARILLON_PLAN_CHANNELS", def: "unlimited", scopes: inServe,
		usage: "channel `limit` that GET /v1/plan reports: a number or unlimited",
		set:   planSetting(func(c *Config) **int { return &c.PlanChannels }),
	},
	{
		name: "plan-licenses", env: "CARILLON_PLAN_LICENSES", def: "unlimited", scopes: inServe,
		usage: "license `limit` that GET /v1/plan reports: a number or unlimited",
		set:   planSetting(func(c *Config) **int { return &c.PlanLicenses }),
	},
	{
		name: "log-level", env: "CARILLON_LOG_LEVEL", def: "info", scopes: inServe | inStore | inClient,
		usage: "log `level`: debug, info, warn or error",
		set:   textSetting(func(c *Config) *string { return &c.LogLevel }, oneOf("debug", "info", "warn", "error")),
	},
	{
		name: "log-format", env: "CARILLON_LOG_FORMAT", def: "json", scopes: inServe | inStore | inClient,
		usage: "log `format`: json or text",
		set:   textSetting(func(c *Config) *string { return &c.LogFormat }, oneOf("json", "text")),
	},
	{
		name: "url", env: "CARILLON_URL", def: "http://127.0.0.1:8080", scopes: inClient,
		usage: "`URL` of the carillon server",
		set:   textSetting(func(c *Config) *string { return &c.URL }, checkHTTPURL),
	},
	{
		name: "api-key", env: "CARILLON_API_KEY", scopes: inClient, secret: true,
		usage: "API `key` to authenticate with",
		set:   textSetting(func(c *Config) *string { return &c.APIKey }, optional(checkAPIKey)),
	},
}

// textSetting stores text in field after check.
func textSetting(field func(*Config) *string, check func(string) error) func(*Config, string) error {
	return func(c *Config, text string) error {
		if err := check(text); err != nil {
			return err
		}
		*field(c) = text
		return nil
	}
}

// optional lets check pass the empty text, which means "not set" for the
// settings whose default is empty.
func optional(check func(string) error) func(string) error {
	return func(text string) error {
		if text == "" {
			return nil
		}
		return check(text)
	}
}

// intSetting stores a decimal integer of at least min in field.
func intSetting(field func(*Config) *int, min int) func(*Config, string) error {
	return func(c *Config, text string) error {
		n, err := strconv.Atoi(text)
		if err != nil {
			return fmt.Errorf("invalid integer %q", text)
		}
		if n < min {
			return fmt.Errorf("must be at least %d, got %d", min, n)
		}
		*field(c) = n
		return nil
	}
}

// durationSetting stores a Go duration in field, refusing negative ones,
// and 0 too when positive is true.
func durationSetting(field func(*Config) *time.Duration, positive bool) func(*Config, string) error {
	return func(c *Config, text string) error {
		d, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("invalid duration %q", text)
		}
		if positive && d <= 0 {
			return fmt.Errorf("must be greater than 0, got %s", d)
		}
		if d < 0 {
			return fmt.Errorf("must not be negative, got %s", d)
		}
		*field(c) = d
		return nil
	}
}

// boolSetting stores true or false in field. Only those two words are
// accepted, the same in every source, rather than the wider set of
// strconv.ParseBool, so that a file, a variable and a flag read alike.
func boolSetting(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, text string) error {
		switch text {
		case "true":
			*field(c) = true
		case "false":
			*field(c) = false
		default:
			return fmt.Errorf("invalid boolean %q (want true or false)", text)
		}
		return nil
	}
}

// planSetting stores a limit in field: nil for unlimited, else a whole
// number of at least 0.
func planSetting(field func(*Config) **int) func(*Config, string) error {
	return func(c *Config, text string) error {
		if text == "unlimited" {
			*field(c) = nil
			return nil
		}
		n, err := strconv.Atoi(text)
		if err != nil {
			return fmt.Errorf("invalid limit %q (want unlimited or a whole number)", text)
		}
		if n < 0 {
			return fmt.Errorf("must be at least 0, got %d", n)
		}
		*field(c) = &n
		return nil
	}
}

// oneOf accepts only the given words, written exactly so.
func oneOf(words ...string) func(string) error {
	return func(text string) error {
		for _, w := range words {
			if text == w {
				return nil
			}
		}
		last := len(words) - 1
		return fmt.Errorf("invalid value %q (want %s or %s)", text, strings.Join(words[:last], ", "), words[last])
	}
}

// checkNotEmpty refuses the empty text, which would silently mean the
// current folder.
func checkNotEmpty(text string) error {
	if text == "" {
		return errors.New("must not be empty")
	}
	return nil
}

// checkAddr wants what net.Listen accepts: host:port, the host possibly
// empty (":8080", every interface).
func checkAddr(text string) error {
	if _, _, err := net.SplitHostPort(text); err != nil {
		return fmt.Errorf("invalid address %q (want host:port, e.g. 127.0.0.1:8080 or :8080)", text)
	}
	return nil
}

// checkLoopbackAddr wants host:port with a loopback host (127.0.0.1,
// ::1, localhost): what it serves tells how the server spends its time
// and memory, and is never for the network.
func checkLoopbackAddr(text string) error {
	host, _, err := net.SplitHostPort(text)
	if err != nil {
		return fmt.Errorf("invalid address %q (want host:port on loopback, e.g. 127.0.0.1:6060)", text)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("address %q is not on loopback (want 127.0.0.1, ::1 or localhost)", text)
	}
	return nil
}

// checkHTTPURL wants an absolute http or https URL without query or
// fragment, since paths are appended to it.
func checkHTTPURL(text string) error {
	u, err := url.Parse(text)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid URL %q (want http://host[:port][/path] or https://…)", text)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return fmt.Errorf("invalid URL %q (want no query and no fragment)", text)
	}
	return nil
}

// checkDatabaseURL wants a PostgreSQL URL. The value is not echoed: it
// usually holds a password.
func checkDatabaseURL(text string) error {
	if strings.HasPrefix(text, "postgres://") || strings.HasPrefix(text, "postgresql://") {
		return nil
	}
	return errors.New("must start with postgres:// or postgresql://")
}

// checkSecretKey wants the standard base64 encoding of exactly 32 bytes,
// the size of an AES-256 key. The value is not echoed.
func checkSecretKey(text string) error {
	key, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return errors.New("not valid standard base64 (make one with: openssl rand -base64 32)")
	}
	if len(key) != 32 {
		return fmt.Errorf("decodes to %d bytes, want 32 (make one with: openssl rand -base64 32)", len(key))
	}
	return nil
}

// checkAPIKey wants what can be sent in an Authorization header: printable
// ASCII without spaces. A key that fails this is most often a copy and
// paste accident, such as a trailing newline. The value is not echoed.
func checkAPIKey(text string) error {
	for i := 0; i < len(text); i++ {
		if text[i] <= ' ' || text[i] >= 0x7f {
			return errors.New("must be printable ASCII without spaces (the value is not shown)")
		}
	}
	return nil
}
