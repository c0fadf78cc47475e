package config

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// input is what a command sees: its arguments, its environment and,
// when file is not empty, a YAML file named by CARILLON_CONFIG.
type input struct {
	args []string
	env  map[string]string
	file string
}

// parse runs Parse on in, writing in.file to a temporary folder.
func parse(t *testing.T, scope Scope, in input) (Config, []string, error) {
	t.Helper()
	env := make(map[string]string)
	for k, v := range in.env {
		env[k] = v
	}
	if in.file != "" {
		env[configEnv] = writeFile(t, in.file)
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return Parse(fs, in.args, func(k string) string { return env[k] }, scope)
}

// writeFile writes text to a YAML file of its own and returns its path.
func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "carillon.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func intPtr(n int) *int { return &n }

func TestDefault(t *testing.T) {
	t.Parallel()
	want := Config{
		Addr:                "127.0.0.1:8080",
		Data:                "./carillon-data",
		RateLimit:           300,
		AuthFailureLimit:    60,
		SessionLifetime:     336 * time.Hour,
		SignInFailureLimit:  10,
		ReadTimeout:         30 * time.Second,
		MaxConnections:      1024,
		SendMaxAttempts:     10,
		SandboxDelay:        200 * time.Millisecond,
		WebhookTimeout:      10 * time.Second,
		WebhookRetryFor:     24 * time.Hour,
		WebhookLogRetention: 30 * 24 * time.Hour,
		WebhookConcurrency:  64,
		SendRetryBase:       time.Second,
		WebhookRetryBase:    time.Second,
		WebhookLeaseSlack:   10 * time.Second,
		BodyPaceGrace:       5 * time.Second,
		LogLevel:            "info",
		LogFormat:           "json",
		URL:                 "http://127.0.0.1:8080",
	}
	if got := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("Default() = %+v\nwant %+v", got, want)
	}
	// Parse with nothing given must agree with Default in every scope.
	for _, scope := range []Scope{ServeScope, StoreScope, ClientScope} {
		got, args, err := parse(t, scope, input{})
		if err != nil || len(args) != 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("scope %d: Parse() = %+v, %q, %v; want the defaults", scope, got, args, err)
		}
	}
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   input
		want func(c *Config)
	}{
		{
			name: "file over default",
			in: input{file: `
addr: 0.0.0.0:9000
rate-limit: 50
sandbox-delay: 1s
webhook-allow-private: true
plan-channels: 5
log-level: debug
`},
			want: func(c *Config) {
				c.Addr = "0.0.0.0:9000"
				c.RateLimit = 50
				c.SandboxDelay = time.Second
				c.WebhookAllowPrivate = true
				c.PlanChannels = intPtr(5)
				c.LogLevel = "debug"
			},
		},
		{
			name: "console sign-in settings from each source",
			in: input{
				file: "session-lifetime: 8h\nsign-in-failure-limit: 3\n",
				env:  map[string]string{"CARILLON_SIGN_IN_FAILURE_LIMIT": "0"},
				args: []string{"--session-lifetime", "30m"},
			},
			want: func(c *Config) {
				c.SessionLifetime = 30 * time.Minute
				c.SignInFailureLimit = 0
			},
		},
		{
			name: "env over default",
			in:   input{env: map[string]string{"CARILLON_WEBHOOK_TIMEOUT": "3s", "CARILLON_PUBLIC_URL": "https://chat.example.com/"}},
			want: func(c *Config) {
				c.WebhookTimeout = 3 * time.Second
				c.PublicURL = "https://chat.example.com/"
			},
		},
		{
			name: "env over file",
			in: input{
				file: "addr: 127.0.0.1:1\nsandbox-delay: 1s\nlog-format: text\n",
				env:  map[string]string{"CARILLON_ADDR": "127.0.0.1:2", "CARILLON_SANDBOX_DELAY": "2s"},
			},
			want: func(c *Config) {
				c.Addr = "127.0.0.1:2"
				c.SandboxDelay = 2 * time.Second
				c.LogFormat = "text"
			},
		},
		{
			name: "flag over env over file",
			in: input{
				file: "rate-limit: 1\nwebhook-concurrency: 1\nsend-max-attempts: 1\n",
				env:  map[string]string{"CARILLON_RATE_LIMIT": "2", "CARILLON_WEBHOOK_CONCURRENCY": "2"},
				args: []string{"--rate-limit", "3"},
			},
			want: func(c *Config) {
				c.RateLimit = 3
				c.WebhookConcurrency = 2
				c.SendMaxAttempts = 1
			},
		},
		{
			name: "the delivery log kept as long as its webhook",
			in:   input{file: "webhook-log-retention: 0\n"},
			want: func(c *Config) { c.WebhookLogRetention = 0 },
		},
		{
			name: "flag over file",
			in:   input{file: "webhook-retry-for: 1h\n", args: []string{"-webhook-retry-for=2h"}},
			want: func(c *Config) { c.WebhookRetryFor = 2 * time.Hour },
		},
		{
			name: "profiles on loopback",
			in:   input{env: map[string]string{"CARILLON_PPROF_ADDR": "[::1]:6060"}},
			want: func(c *Config) { c.PprofAddr = "[::1]:6060" },
		},
		{
			name: "bare boolean flag over env",
			in: input{
				env:  map[string]string{"CARILLON_WEBHOOK_ALLOW_PRIVATE": "false"},
				args: []string{"--webhook-allow-private"},
			},
			want: func(c *Config) { c.WebhookAllowPrivate = true },
		},
		{
			name: "false flag over true env",
			in: input{
				env:  map[string]string{"CARILLON_WEBHOOK_ALLOW_PRIVATE": "true"},
				args: []string{"--webhook-allow-private=false"},
			},
		},
		{
			name: "unlimited env over file limit",
			in: input{
				file: "plan-channels: 5\nplan-licenses: 7\n",
				env:  map[string]string{"CARILLON_PLAN_CHANNELS": "unlimited"},
			},
			want: func(c *Config) { c.PlanLicenses = intPtr(7) },
		},
		{
			name: "empty env counts as unset",
			in: input{
				file: "addr: 127.0.0.1:1\n",
				env:  map[string]string{"CARILLON_ADDR": ""},
			},
			want: func(c *Config) { c.Addr = "127.0.0.1:1" },
		},
		{
			name: "empty flag clears an optional setting",
			in: input{
				file: "public-url: https://chat.example.com\n",
				args: []string{"--public-url="},
			},
		},
		{
			name: "key without value keeps the default",
			in:   input{file: "addr:\nrate-limit: ~\n"},
		},
		{
			name: "quoted values, comments and anchors",
			in: input{file: `# carillon
addr: "[::1]:8080"   # IPv6
rate-limit: '7'
send-max-attempts: &n 4
webhook-concurrency: *n
`},
			want: func(c *Config) {
				c.Addr = "[::1]:8080"
				c.RateLimit = 7
				c.SendMaxAttempts = 4
				c.WebhookConcurrency = 4
			},
		},
		{
			name: "repeated flag: the last wins",
			in:   input{args: []string{"--log-level", "warn", "--log-level", "error"}},
			want: func(c *Config) { c.LogLevel = "error" },
		},
		{
			name: "zero values where allowed",
			in:   input{env: map[string]string{"CARILLON_RATE_LIMIT": "0", "CARILLON_SANDBOX_DELAY": "0", "CARILLON_PLAN_CHANNELS": "0"}},
			want: func(c *Config) {
				c.RateLimit = 0
				c.SandboxDelay = 0
				c.PlanChannels = intPtr(0)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _, err := parse(t, ServeScope, tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := Default()
			if tt.want != nil {
				tt.want(&want)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse() = %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		scope Scope
		in    input
		want  []string // each must appear in the error
		exact bool     // want[0] is the whole message
	}{
		{
			name:  "duration from env",
			in:    input{env: map[string]string{"CARILLON_SANDBOX_DELAY": "abc"}},
			want:  []string{`setting sandbox-delay (CARILLON_SANDBOX_DELAY): invalid duration "abc"`},
			exact: true,
		},
		{
			name: "duration without unit from flag",
			in:   input{args: []string{"--webhook-timeout", "10"}},
			want: []string{`setting webhook-timeout (CARILLON_WEBHOOK_TIMEOUT): invalid duration "10"`},
		},
		{
			name: "duration from file names file and line",
			in:   input{file: "addr: 127.0.0.1:1\nwebhook-retry-for: forever\n"},
			want: []string{`setting webhook-retry-for (CARILLON_WEBHOOK_RETRY_FOR): invalid duration "forever"`, "carillon.yaml, line 2"},
		},
		{
			name: "negative duration",
			in:   input{env: map[string]string{"CARILLON_SANDBOX_DELAY": "-1s"}},
			want: []string{`setting sandbox-delay (CARILLON_SANDBOX_DELAY): must not be negative, got -1s`},
		},
		{
			name: "negative retention",
			in:   input{env: map[string]string{"CARILLON_WEBHOOK_LOG_RETENTION": "-24h"}},
			want: []string{`setting webhook-log-retention (CARILLON_WEBHOOK_LOG_RETENTION): must not be negative, got -24h0m0s`},
		},
		{
			name: "zero timeout",
			in:   input{args: []string{"--webhook-timeout=0s"}},
			want: []string{`setting webhook-timeout (CARILLON_WEBHOOK_TIMEOUT): must be greater than 0`},
		},
		{
			name: "zero retry period",
			in:   input{file: "webhook-retry-for: 0\n"},
			want: []string{`setting webhook-retry-for (CARILLON_WEBHOOK_RETRY_FOR): must be greater than 0`},
		},
		{
			name: "int from env",
			in:   input{env: map[string]string{"CARILLON_RATE_LIMIT": "ten"}},
			want: []string{`setting rate-limit (CARILLON_RATE_LIMIT): invalid integer "ten"`},
		},
		{
			name: "int from file",
			in:   input{file: "webhook-concurrency: 1.5\n"},
			want: []string{`setting webhook-concurrency (CARILLON_WEBHOOK_CONCURRENCY): invalid integer "1.5"`},
		},
		{
			name: "negative rate limit",
			in:   input{args: []string{"--rate-limit=-1"}},
			want: []string{`setting rate-limit (CARILLON_RATE_LIMIT): must be at least 0, got -1`},
		},
		{
			name: "zero session lifetime",
			in:   input{env: map[string]string{"CARILLON_SESSION_LIFETIME": "0"}},
			want: []string{`setting session-lifetime (CARILLON_SESSION_LIFETIME): must be greater than 0`},
		},
		{
			name: "negative sign-in failure limit",
			in:   input{file: "sign-in-failure-limit: -2\n"},
			want: []string{`setting sign-in-failure-limit (CARILLON_SIGN_IN_FAILURE_LIMIT): must be at least 0, got -2`, "carillon.yaml, line 1"},
		},
		{
			name: "zero attempts",
			in:   input{env: map[string]string{"CARILLON_SEND_MAX_ATTEMPTS": "0"}},
			want: []string{`setting send-max-attempts (CARILLON_SEND_MAX_ATTEMPTS): must be at least 1, got 0`},
		},
		{
			name: "zero concurrency",
			in:   input{args: []string{"--webhook-concurrency", "0"}},
			want: []string{`setting webhook-concurrency (CARILLON_WEBHOOK_CONCURRENCY): must be at least 1, got 0`},
		},
		{
			name: "bool from env",
			in:   input{env: map[string]string{"CARILLON_WEBHOOK_ALLOW_PRIVATE": "yes"}},
			want: []string{`setting webhook-allow-private (CARILLON_WEBHOOK_ALLOW_PRIVATE): invalid boolean "yes"`},
		},
		{
			name: "bool from flag",
			in:   input{args: []string{"--webhook-allow-private=1"}},
			want: []string{`setting webhook-allow-private (CARILLON_WEBHOOK_ALLOW_PRIVATE): invalid boolean "1"`},
		},
		{
			name: "bool from file",
			in:   input{file: "webhook-allow-private: on\n"},
			want: []string{`setting webhook-allow-private (CARILLON_WEBHOOK_ALLOW_PRIVATE): invalid boolean "on"`},
		},
		{
			name: "log level",
			in:   input{env: map[string]string{"CARILLON_LOG_LEVEL": "verbose"}},
			want: []string{`setting log-level (CARILLON_LOG_LEVEL): invalid value "verbose" (want debug, info, warn or error)`},
		},
		{
			name: "log level in capitals",
			in:   input{args: []string{"--log-level", "INFO"}},
			want: []string{`setting log-level (CARILLON_LOG_LEVEL): invalid value "INFO"`},
		},
		{
			name:  "log format in client scope",
			scope: ClientScope,
			in:    input{file: "log-format: xml\n"},
			want:  []string{`setting log-format (CARILLON_LOG_FORMAT): invalid value "xml" (want json or text)`},
		},
		{
			name: "plan limit word",
			in:   input{env: map[string]string{"CARILLON_PLAN_CHANNELS": "lots"}},
			want: []string{`setting plan-channels (CARILLON_PLAN_CHANNELS): invalid limit "lots"`},
		},
		{
			name: "negative plan limit",
			in:   input{args: []string{"--plan-licenses=-2"}},
			want: []string{`setting plan-licenses (CARILLON_PLAN_LICENSES): must be at least 0, got -2`},
		},
		{
			name: "address without port",
			in:   input{env: map[string]string{"CARILLON_ADDR": "localhost"}},
			want: []string{`setting addr (CARILLON_ADDR): invalid address "localhost"`},
		},
		{
			name: "profiles on every interface",
			in:   input{args: []string{"--pprof-addr", ":6060"}},
			want: []string{`setting pprof-addr (CARILLON_PPROF_ADDR): address ":6060" is not on loopback`},
		},
		{
			name: "profiles on a public address",
			in:   input{env: map[string]string{"CARILLON_PPROF_ADDR": "192.0.2.1:6060"}},
			want: []string{`setting pprof-addr (CARILLON_PPROF_ADDR): address "192.0.2.1:6060" is not on loopback`},
		},
		{
			name: "profiles without a port",
			in:   input{file: "pprof-addr: 127.0.0.1\n"},
			want: []string{`setting pprof-addr (CARILLON_PPROF_ADDR): invalid address "127.0.0.1"`},
		},
		{
			name:  "empty data folder",
			scope: StoreScope,
			in:    input{args: []string{"--data="}},
			want:  []string{`setting data (CARILLON_DATA): must not be empty`},
		},
		{
			name: "public URL without scheme",
			in:   input{env: map[string]string{"CARILLON_PUBLIC_URL": "chat.example.com"}},
			want: []string{`setting public-url (CARILLON_PUBLIC_URL): invalid URL "chat.example.com"`},
		},
		{
			name: "public URL with query",
			in:   input{args: []string{"--public-url", "https://chat.example.com/?a=b"}},
			want: []string{`setting public-url (CARILLON_PUBLIC_URL): invalid URL "https://chat.example.com/?a=b" (want no query and no fragment)`},
		},
		{
			name:  "client URL",
			scope: ClientScope,
			in:    input{env: map[string]string{"CARILLON_URL": "ftp://example.com"}},
			want:  []string{`setting url (CARILLON_URL): invalid URL "ftp://example.com"`},
		},
		{
			name:  "database URL of another database",
			scope: StoreScope,
			in:    input{env: map[string]string{"CARILLON_DATABASE_URL": "mysql://db/carillon"}},
			want:  []string{`setting database-url (CARILLON_DATABASE_URL): must start with postgres:// or postgresql://`},
		},
		{
			name: "bad value in the file although the flag overrides it",
			in:   input{file: "rate-limit: many\n", args: []string{"--rate-limit", "5"}},
			want: []string{`setting rate-limit (CARILLON_RATE_LIMIT): invalid integer "many"`},
		},
		{
			name: "every bad value is reported",
			in: input{
				env:  map[string]string{"CARILLON_RATE_LIMIT": "x"},
				args: []string{"--sandbox-delay", "y"},
			},
			want: []string{`setting rate-limit (CARILLON_RATE_LIMIT)`, `setting sandbox-delay (CARILLON_SANDBOX_DELAY)`},
		},
		{
			name: "list instead of a value",
			in:   input{file: "addr:\n  - 127.0.0.1:1\n  - 127.0.0.1:2\n"},
			want: []string{`setting addr (CARILLON_ADDR): want a single value, not a list or a mapping`, "line 2"},
		},
		{
			name: "key given twice",
			in:   input{file: "addr: 127.0.0.1:1\naddr: 127.0.0.1:2\n"},
			want: []string{`setting addr (CARILLON_ADDR): given twice`, "line 2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, args, err := parse(t, tt.scope, tt.in)
			if err == nil {
				t.Fatalf("Parse() = %+v, want an error", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.exact && err.Error() != tt.want[0] {
				t.Errorf("error %q, want exactly %q", err, tt.want[0])
			}
			if !reflect.DeepEqual(got, Config{}) || args != nil {
				t.Errorf("Parse() = %+v, %q with an error, want zero values", got, args)
			}
		})
	}
}

func TestFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		scope Scope
		file  string
		want  []string
	}{
		{
			name: "unknown key",
			file: "addr: 127.0.0.1:1\nadress: 127.0.0.1:2\n",
			want: []string{`unknown setting "adress"`, "line 2"},
		},
		{
			name:  "unknown key in every scope",
			scope: ClientScope,
			file:  "rate_limit: 5\n",
			want:  []string{`unknown setting "rate_limit"`},
		},
		{
			name: "config is no key of the file",
			file: "config: other.yaml\n",
			want: []string{`unknown setting "config"`},
		},
		{
			name: "several unknown keys",
			file: "one: 1\ntwo: 2\n",
			want: []string{`unknown setting "one"`, `unknown setting "two"`},
		},
		{
			name: "not a mapping",
			file: "- addr: 127.0.0.1:1\n",
			want: []string{"want a mapping of setting names to values"},
		},
		{
			name: "two documents",
			file: "addr: 127.0.0.1:1\n---\naddr: 127.0.0.1:2\n",
			want: []string{"want a single YAML document"},
		},
		{
			name: "syntax error",
			file: "addr: [127.0.0.1:1\n",
			want: []string{"config file", "carillon.yaml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := parse(t, tt.scope, input{file: tt.file})
			if err == nil {
				t.Fatal("Parse() succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigFileChoice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fromEnv := filepath.Join(dir, "env.yaml")
	fromFlag := filepath.Join(dir, "flag.yaml")
	for path, addr := range map[string]string{fromEnv: "127.0.0.1:1", fromFlag: "127.0.0.1:2"} {
		if err := os.WriteFile(path, []byte("addr: "+addr+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	missing := filepath.Join(dir, "missing.yaml")
	empty := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(empty, []byte("# nothing set yet\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		env      string
		args     []string
		wantAddr string
		wantErr  string
	}{
		{name: "env", env: fromEnv, wantAddr: "127.0.0.1:1"},
		{name: "flag", args: []string{"--config", fromFlag}, wantAddr: "127.0.0.1:2"},
		{name: "flag over env", env: fromEnv, args: []string{"--config", fromFlag}, wantAddr: "127.0.0.1:2"},
		{name: "empty flag turns the env file off", env: missing, args: []string{"--config="}, wantAddr: "127.0.0.1:8080"},
		{name: "file with comments only", env: empty, wantAddr: "127.0.0.1:8080"},
		{name: "missing file", args: []string{"--config", missing}, wantErr: missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _, err := parse(t, ServeScope, input{args: tt.args, env: map[string]string{configEnv: tt.env}})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse() error = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if c.Addr != tt.wantAddr {
				t.Errorf("Addr = %q, want %q", c.Addr, tt.wantAddr)
			}
		})
	}
}

func TestSecretKey(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0xfb}, 32) // encodes with '+' and '/' in std, '-' and '_' in URL encoding
	tests := []struct {
		name    string
		value   string
		wantErr string
	}{
		{name: "32 bytes", value: base64.StdEncoding.EncodeToString(key)},
		{name: "16 bytes", value: base64.StdEncoding.EncodeToString(key[:16]), wantErr: "decodes to 16 bytes, want 32"},
		{name: "33 bytes", value: base64.StdEncoding.EncodeToString(append(key, 1)), wantErr: "decodes to 33 bytes, want 32"},
		{name: "URL encoding", value: base64.URLEncoding.EncodeToString(key), wantErr: "not valid standard base64"},
		{name: "no padding", value: base64.RawStdEncoding.EncodeToString(key), wantErr: "not valid standard base64"},
		{name: "hex", value: strings.Repeat("ab", 32), wantErr: "decodes to 48 bytes"},
		{name: "not base64", value: "secret key!", wantErr: "not valid standard base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _, err := parse(t, StoreScope, input{env: map[string]string{"CARILLON_SECRET_KEY": tt.value}})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if c.SecretKey != tt.value {
					t.Errorf("SecretKey = %q, want %q", c.SecretKey, tt.value)
				}
				return
			}
			if err == nil {
				t.Fatal("Parse() succeeded, want an error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "setting secret-key (CARILLON_SECRET_KEY): ") || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("error %q, want setting secret-key and %q", msg, tt.wantErr)
			}
			if strings.Contains(msg, tt.value) {
				t.Errorf("error %q shows the key", msg)
			}
		})
	}
}

// TestSecretsNeverInErrors gives every secret setting a bad value in every
// source and checks that the message names the setting but not the value.
func TestSecretsNeverInErrors(t *testing.T) {
	t.Parallel()
	const marker = "Zq7SECRETx9"
	secrets := []struct {
		name, env string
		scope     Scope
		value     string
	}{
		{"api-key", "CARILLON_API_KEY", ClientScope, "ck_" + marker + " \n"},
		{"api-key", "CARILLON_API_KEY", ClientScope, marker + "\t"},
		{"secret-key", "CARILLON_SECRET_KEY", StoreScope, marker + "=="},
		{"database-url", "CARILLON_DATABASE_URL", StoreScope, "mysql://carillon:" + marker + "@db/carillon"},
	}
	for _, s := range secrets {
		sources := map[string]input{
			"flag": {args: []string{"--" + s.name + "=" + s.value}},
			"env":  {env: map[string]string{s.env: s.value}},
			"file": {file: s.name + `: "` + strings.ReplaceAll(strings.ReplaceAll(s.value, "\n", `\n`), "\t", `\t`) + "\"\n"},
			"list": {file: s.name + ":\n  - " + strings.TrimSpace(s.value) + "\n"},
		}
		for source, in := range sources {
			t.Run(s.name+" "+source, func(t *testing.T) {
				t.Parallel()
				_, _, err := parse(t, s.scope, in)
				if err == nil {
					t.Fatal("Parse() succeeded, want an error")
				}
				msg := err.Error()
				if !strings.Contains(msg, "setting "+s.name+" ("+s.env+")") {
					t.Errorf("error %q does not name the setting", msg)
				}
				if strings.Contains(msg, marker) {
					t.Errorf("error %q shows the secret", msg)
				}
			})
		}
	}

	// A good API key is kept as given.
	c, _, err := parse(t, ClientScope, input{args: []string{"--api-key", "ck_" + marker}})
	if err != nil || c.APIKey != "ck_"+marker {
		t.Fatalf("Parse() = %q, %v; want the key", c.APIKey, err)
	}
}

func TestPlanLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   input
		want *int
	}{
		{name: "default", want: nil},
		{name: "unlimited", in: input{env: map[string]string{"CARILLON_PLAN_CHANNELS": "unlimited"}}, want: nil},
		{name: "zero", in: input{args: []string{"--plan-channels", "0"}}, want: intPtr(0)},
		{name: "number", in: input{args: []string{"--plan-channels", "25"}}, want: intPtr(25)},
		{name: "number in file", in: input{file: "plan-channels: 3\n"}, want: intPtr(3)},
		{name: "unlimited in file", in: input{file: "plan-channels: unlimited\n"}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _, err := parse(t, ServeScope, tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(c.PlanChannels, tt.want) {
				t.Errorf("PlanChannels = %v, want %v", deref(c.PlanChannels), deref(tt.want))
			}
			if c.PlanLicenses != nil {
				t.Errorf("PlanLicenses = %d, want unlimited", *c.PlanLicenses)
			}
		})
	}
}

func deref(p *int) any {
	if p == nil {
		return "unlimited"
	}
	return *p
}

func TestScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		scope Scope
		flags []string
	}{
		{
			name:  "serve",
			scope: ServeScope,
			flags: []string{
				"addr", "auth-failure-limit", "body-pace-grace", "config", "data", "database-url", "log-format", "log-level",
				"max-connections", "new-database", "plan-channels", "plan-licenses", "pprof-addr", "public-url",
				"rate-limit", "read-timeout", "sandbox-delay", "secret-key", "send-max-attempts", "send-retry-base",
				"session-lifetime", "sign-in-failure-limit", "webhook-allow-private", "webhook-concurrency", "webhook-lease-slack", "webhook-log-retention", "webhook-retry-base",
				"webhook-retry-for", "webhook-timeout",
			},
		},
		{
			name:  "store",
			scope: StoreScope,
			flags: []string{"config", "data", "database-url", "log-format", "log-level", "new-database", "public-url", "secret-key"},
		},
		{
			name:  "client",
			scope: ClientScope,
			flags: []string{"api-key", "config", "log-format", "log-level", "url"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			if _, _, err := Parse(fs, nil, nil, tt.scope); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var got []string
			fs.VisitAll(func(f *flag.Flag) { got = append(got, f.Name) })
			if !slices.Equal(got, tt.flags) {
				t.Errorf("flags = %q, want %q", got, tt.flags)
			}

			// Every other setting: its flag is a usage error, and a bad
			// value in the environment or the file is ignored.
			env := make(map[string]string)
			var file strings.Builder
			for _, s := range settings {
				if slices.Contains(tt.flags, s.name) {
					continue
				}
				env[s.env] = "not a value"
				file.WriteString(s.name + ": [not, a, value]\n")
				_, _, err := parse(t, tt.scope, input{args: []string{"--" + s.name, "x"}})
				if err == nil || !strings.Contains(err.Error(), "flag provided but not defined: -"+s.name) {
					t.Errorf("--%s: error = %v, want a usage error", s.name, err)
				}
			}
			c, _, err := parse(t, tt.scope, input{env: env, file: file.String()})
			if err != nil {
				t.Fatalf("Parse with settings of other scopes: %v", err)
			}
			if !reflect.DeepEqual(c, Default()) {
				t.Errorf("Parse() = %+v, want the defaults", c)
			}
		})
	}

	t.Run("unknown scope", func(t *testing.T) {
		t.Parallel()
		if _, _, err := parse(t, Scope(9), input{}); err == nil {
			t.Error("Parse() succeeded, want an error")
		}
	})
}

func TestArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantArgs []string
		wantName string
		wantData string
	}{
		{name: "none", wantArgs: []string{}, wantData: "./carillon-data"},
		{name: "after flags", args: []string{"--data", "/srv/carillon", "accounts.yaml"}, wantArgs: []string{"accounts.yaml"}, wantData: "/srv/carillon"},
		{name: "flags after a positional one are positional", args: []string{"accounts.yaml", "--data", "/srv"}, wantArgs: []string{"accounts.yaml", "--data", "/srv"}, wantData: "./carillon-data"},
		{name: "caller's own flag", args: []string{"--name", "ops", "--data=/d", "x", "y"}, wantArgs: []string{"x", "y"}, wantName: "ops", wantData: "/d"},
		{name: "double dash", args: []string{"--", "--data"}, wantArgs: []string{"--data"}, wantData: "./carillon-data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("apply", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			name := fs.String("name", "", "the account's name")
			c, args, err := Parse(fs, tt.args, nil, StoreScope)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !slices.Equal(args, tt.wantArgs) || *name != tt.wantName || c.Data != tt.wantData {
				t.Errorf("Parse() = args %q, name %q, data %q; want %q, %q, %q", args, *name, c.Data, tt.wantArgs, tt.wantName, tt.wantData)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(&out)
	_, _, err := Parse(fs, []string{"-h"}, nil, ServeScope)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Parse(-h) error = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{
		"-addr host:port", "(env CARILLON_ADDR) (default 127.0.0.1:8080)",
		"-sandbox-delay duration", "(default 200ms)",
		"(env CARILLON_PUBLIC_URL) (default http:// + addr)",
		"-webhook-allow-private\n", "-config file",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage does not contain %q:\n%s", want, out.String())
		}
	}
}

func TestPublicBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr, publicURL, want string
	}{
		{"127.0.0.1:8080", "", "http://127.0.0.1:8080"},
		{"0.0.0.0:9000", "", "http://0.0.0.0:9000"},
		{"127.0.0.1:8080", "https://chat.example.com", "https://chat.example.com"},
		{"127.0.0.1:8080", "https://chat.example.com/", "https://chat.example.com"},
		{"127.0.0.1:8080", "https://example.com/carillon//", "https://example.com/carillon"},
	}
	for _, tt := range tests {
		t.Run(tt.addr+" "+tt.publicURL, func(t *testing.T) {
			t.Parallel()
			c := Default()
			c.Addr, c.PublicURL = tt.addr, tt.publicURL
			if got := c.PublicBaseURL(); got != tt.want {
				t.Errorf("PublicBaseURL() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLogger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		level, format string
		wantLevel     slog.Level
	}{
		{"debug", "text", slog.LevelDebug},
		{"info", "json", slog.LevelInfo},
		{"warn", "text", slog.LevelWarn},
		{"error", "json", slog.LevelError},
	}
	for _, tt := range tests {
		t.Run(tt.level+" "+tt.format, func(t *testing.T) {
			t.Parallel()
			c, _, err := parse(t, ClientScope, input{args: []string{"--log-level", tt.level, "--log-format", tt.format}})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := c.SlogLevel(); got != tt.wantLevel {
				t.Errorf("SlogLevel() = %v, want %v", got, tt.wantLevel)
			}
			var out bytes.Buffer
			log := c.NewLogger(&out)
			log.Debug("d")
			log.Info("i")
			log.Warn("w")
			log.Error("e")
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if want := 4 - int(tt.wantLevel+4)/4; len(lines) != want {
				t.Fatalf("%d lines logged, want %d:\n%s", len(lines), want, out.String())
			}
			var entry map[string]any
			isJSON := json.Unmarshal([]byte(lines[0]), &entry) == nil
			if isJSON != (tt.format == "json") {
				t.Errorf("format %s wrote %q", tt.format, lines[0])
			}
			if tt.format == "text" && !strings.Contains(lines[0], "level="+tt.wantLevel.String()) {
				t.Errorf("text line %q lacks its level", lines[0])
			}
		})
	}
}

// TestManual keeps docs/configuration.md true: every setting has a row
// with its flag, variable, key and default, and the example file parses in
// every scope.
func TestManual(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	manual := string(data)
	rows := make(map[string]string)
	for line := range strings.Lines(manual) {
		if name, ok := strings.CutPrefix(line, "| `--"); ok {
			name, _, _ = strings.Cut(name, "`")
			rows[name] = line
		}
	}
	for _, s := range settings {
		row, ok := rows[s.name]
		if !ok {
			t.Errorf("no row for --%s", s.name)
			continue
		}
		for _, want := range []string{"`" + s.env + "`", "`" + s.name + "`", "`" + s.def + "`"} {
			if want == "``" {
				continue
			}
			if !strings.Contains(row, want) {
				t.Errorf("row of --%s lacks %s: %s", s.name, want, row)
			}
		}
	}
	if len(rows) != len(settings)+1 { // and --config
		t.Errorf("%d rows, want one per setting and --config", len(rows))
	}

	_, rest, ok := strings.Cut(manual, "```yaml\n")
	example, _, _ := strings.Cut(rest, "```")
	if !ok || example == "" {
		t.Fatal("no example YAML file")
	}
	for _, scope := range []Scope{ServeScope, StoreScope, ClientScope} {
		if _, _, err := parse(t, scope, input{file: example}); err != nil {
			t.Errorf("scope %d: example file: %v", scope, err)
		}
	}
}
