package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// applySecrets are the secrets of testdata/apply/account.yaml: no command
// may print them.
var applySecrets = []string{"e2e-access-token-secret", "e2e-app-secret", "e2e-verify-token"}

var createdChannel = regexp.MustCompile(`created channel (\S+) \(uuid ([0-9a-f]{32})\)`)

// channelUUIDs returns the uuids of the channels an apply created, by title.
func channelUUIDs(t *testing.T, out string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, m := range createdChannel.FindAllStringSubmatch(out, -1) {
		ids[m[1]] = m[2]
	}
	return ids
}

func noSecrets(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range applySecrets {
		if strings.Contains(out, s) {
			t.Errorf("%s shows the secret %q:\n%s", what, s, out)
		}
	}
}

// sendOn sends a text message on a channel and returns the answer.
func (s *server) sendOn(t *testing.T, channelUUID, to string) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"to": to, "from": "whatsapp", "type": "text", "channel_uuid": channelUUID,
		"content": map[string]string{"text": "hello"},
	})
	return s.do(t, "POST", "/v1/messages/send", s.Key, string(body))
}

// TestApplyThenServe declares an account on an empty data folder, then
// serves it: what apply made is what the server uses.
func TestApplyThenServe(t *testing.T) {
	t.Parallel()
	s := newServer(t, t.TempDir())
	file := filepath.Join("testdata", "apply", "account.yaml")
	res := s.admin(t, []string{"apply"}, file)
	if res.Code != 0 {
		t.Fatalf("apply: exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
	}
	noSecrets(t, "apply", res.Stdout+res.Stderr)
	ids := channelUUIDs(t, res.Stdout)
	support, live := ids["support-line"], ids["wa-live"]
	if support == "" || live == "" {
		t.Fatalf("apply did not report both channels:\n%s", res.Stdout)
	}
	for _, want := range []string{"created user ana@example.com", "created team Support", "created tag Lead", "created template order_shipped",
		"http://127.0.0.1:8080/callbacks/whatsapp/" + live} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("apply's output lacks %q:\n%s", want, res.Stdout)
		}
	}
	if strings.Contains(res.Stdout, "/callbacks/sandbox/") {
		t.Errorf("apply shows a callback URL for a sandbox channel:\n%s", res.Stdout)
	}

	// The same file again changes nothing: only the callback URL.
	again := s.admin(t, []string{"apply"}, "--public-url", "https://chat.example.com/", file)
	if again.Code != 0 || strings.TrimSpace(again.Stdout) != "https://chat.example.com/callbacks/whatsapp/"+live {
		t.Errorf("second apply: exit %d\nstdout: %q\nstderr: %s", again.Code, again.Stdout, again.Stderr)
	}

	list := s.admin(t, []string{"channels", "list"})
	if list.Code != 0 {
		t.Fatalf("channels list: exit %d: %s", list.Code, list.Stderr)
	}
	noSecrets(t, "channels list", list.Stdout)
	lines := strings.Split(strings.TrimSpace(list.Stdout), "\n")
	if len(lines) != 4 { // header, sandbox, support-line, wa-live
		t.Fatalf("channels list: %d lines; want 4:\n%s", len(lines), list.Stdout)
	}
	for _, want := range [][]string{
		{"sandbox", "whatsapp", "sandbox", "main", "-"},
		{support, "support-line", "whatsapp", "sandbox", "-", "-"},
		{live, "wa-live", "whatsapp", "whatsapp", "-", "http://127.0.0.1:8080/callbacks/whatsapp/" + live},
	} {
		found := false
		for _, line := range lines {
			f := strings.Fields(line)
			if len(f) >= len(want) && strings.Join(f[len(f)-len(want):], " ") == strings.Join(want, " ") {
				found = true
				if f[1] == "sandbox" {
					ids["sandbox"] = f[0]
				}
			}
		}
		if !found {
			t.Errorf("channels list lacks %q:\n%s", want, list.Stdout)
		}
	}

	s.start(false)
	s.Key = s.createKey(t, "e2e")
	// support-line enforces the 24-hour window: a new number is refused.
	wantError(t, s.sendOn(t, support, "+14155550100"), http.StatusUnprocessableEntity, "outside_customer_service_window", "to")
	// The default channel, left as it was, does not.
	if ids["sandbox"] == "" {
		t.Fatal("channels list shows no default sandbox channel")
	}
	enqueuedUUID(t, s.sendOn(t, ids["sandbox"], "+14155550100"))
	enqueuedUUID(t, s.sendOn(t, "", "+14155550101"))
}

// TestApplyWhileServing applies files to the data folder of a running
// server: the change takes effect at once, and a refused file changes
// nothing.
func TestApplyWhileServing(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	enforced := write("enforced.yaml", "channels:\n  - {title: desk, type: whatsapp, provider: sandbox, settings: {window: enforced}}\n")
	res := s.admin(t, []string{"apply"}, enforced)
	if res.Code != 0 {
		t.Fatalf("apply: exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
	}
	desk := channelUUIDs(t, res.Stdout)["desk"]
	if desk == "" {
		t.Fatalf("apply did not report the channel:\n%s", res.Stdout)
	}
	wantError(t, s.sendOn(t, desk, "+14155550102"), http.StatusUnprocessableEntity, "outside_customer_service_window", "to")

	// A refused file: the line and the problem, exit status 1, nothing
	// written (the channel still enforces the window).
	bad := write("bad.yaml", "channels:\n  - {title: desk, type: whatsapp, provider: sandbox, settings: {window: open}}\nteams:\n  - {name: Sales, members: [nobody@example.com]}\n")
	res = s.admin(t, []string{"apply"}, bad)
	if res.Code != 1 || !strings.HasPrefix(res.Stderr, bad+":4: team Sales: no user has the email \"nobody@example.com\"") || res.Stdout != "" {
		t.Errorf("refused apply: exit %d\nstdout: %q\nstderr: %q", res.Code, res.Stdout, res.Stderr)
	}
	wantError(t, s.sendOn(t, desk, "+14155550102"), http.StatusUnprocessableEntity, "outside_customer_service_window", "to")

	open := write("open.yaml", "channels:\n  - {title: desk, type: whatsapp, provider: sandbox, settings: {window: open}}\n")
	res = s.admin(t, []string{"apply"}, open)
	if res.Code != 0 || strings.TrimSpace(res.Stdout) != "updated channel desk: settings" {
		t.Fatalf("apply: exit %d\nstdout: %q\nstderr: %s", res.Code, res.Stdout, res.Stderr)
	}
	enqueuedUUID(t, s.sendOn(t, desk, "+14155550102"))

	// channels add updates by title, with the same rules.
	res = s.admin(t, []string{"channels", "add"}, "--title", "desk", "--type", "whatsapp", "--provider", "sandbox", "--setting", "window=enforced")
	if res.Code != 0 || !strings.Contains(res.Stdout, "updated channel desk: settings\n"+desk+"\n") {
		t.Fatalf("channels add: exit %d\nstdout: %q\nstderr: %s", res.Code, res.Stdout, res.Stderr)
	}
	wantError(t, s.sendOn(t, desk, "+14155550103"), http.StatusUnprocessableEntity, "outside_customer_service_window", "to")
	res = s.admin(t, []string{"channels", "add"}, "--title", "desk", "--type", "whatsapp", "--provider", "sandbox", "--setting", "window=sometimes")
	if res.Code != 1 || !strings.Contains(res.Stderr, "window must be open or enforced") {
		t.Errorf("channels add with a bad setting: exit %d\nstderr: %s", res.Code, res.Stderr)
	}
}
