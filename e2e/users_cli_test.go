package e2e

import (
	"strings"
	"testing"
)

// TestUsersCLI runs carillon users on each store, first on an empty one
// (before any serve, which then prints no key), then beside a running
// server: create, list, passwd, and what each refuses. Passwords come from
// standard input; with no terminal and no --password-stdin, none is read.
func TestUsersCLI(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		var pg *pgSchema
		if kind == storePostgres {
			pg = newPostgresSchema(t) // first, so that it is dropped after the server stops
		}
		s := newServer(t, t.TempDir())
		s.pg = pg
		users := []string{"users"}
		res := s.adminStdin(t, "ana's first password\n", append(users, "create"), "--email", "Ana@Example.com", "--name", "Ana Diaz", "--role", "admin", "--password-stdin")
		if res.Code != 0 || !strings.Contains(res.Stdout, "created user ana@example.com (Ana Diaz, role admin) of account default") {
			t.Fatalf("users create on an empty store: exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
		}
		if strings.Contains(res.Stdout+res.Stderr, "crln_") || strings.Contains(res.Stdout+res.Stderr, "first password") {
			t.Errorf("users create printed a key or the password:\n%s%s", res.Stdout, res.Stderr)
		}
		s.start(false)
		if out := s.stdout.String(); out != "" {
			t.Errorf("serve on a store set up by users create printed %q, want nothing", out)
		}

		// Beside the running server.
		res = s.adminStdin(t, "bo's password\r\nignored second line\n", append(users, "create"), "--email", "bo@example.com", "--name", "Bo", "--role", "restricted_agent", "--password-stdin")
		if res.Code != 0 {
			t.Fatalf("users create: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
		}
		res = s.admin(t, append(users, "list"))
		lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
		if res.Code != 0 || len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "EMAIL NAME ROLE LAST SIGN-IN" ||
			strings.Join(strings.Fields(lines[1]), " ") != "ana@example.com Ana Diaz admin -" ||
			strings.Join(strings.Fields(lines[2]), " ") != "bo@example.com Bo restricted_agent -" {
			t.Fatalf("users list: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
		}

		// The password is stored as an argon2id hash, and passwd changes it.
		db := s.openStore(t)
		hashOf := func(email string) string {
			t.Helper()
			var h string
			if err := db.QueryRow("SELECT password_hash FROM users WHERE email = $1", email).Scan(&h); err != nil {
				t.Fatal(err)
			}
			return h
		}
		before := hashOf("ana@example.com")
		if !strings.HasPrefix(before, "$argon2id$v=19$") || strings.Contains(before, "first password") {
			t.Fatalf("stored password %q, want an argon2id hash", before)
		}
		res = s.adminStdin(t, "ana's second password\n", append(users, "passwd"), "--password-stdin", "ANA@example.com")
		if res.Code != 0 || !strings.Contains(res.Stdout, "set the password of ana@example.com") {
			t.Fatalf("users passwd: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
		}
		if after := hashOf("ana@example.com"); after == before || !strings.HasPrefix(after, "$argon2id$") {
			t.Errorf("users passwd left the hash %q (was %q)", after, before)
		}

		for _, tc := range []struct {
			name  string
			stdin string
			args  []string
			code  int
			want  string
		}{
			{"no terminal, no --password-stdin", "x\n", []string{"create", "--email", "cy@example.com", "--name", "Cy", "--role", "agent"}, 2, "give --password-stdin"},
			{"unknown role", "cy's password\n", []string{"create", "--email", "cy@example.com", "--name", "Cy", "--role", "owner", "--password-stdin"}, 2, `--role "owner"`},
			{"missing role", "cy's password\n", []string{"create", "--email", "cy@example.com", "--name", "Cy", "--password-stdin"}, 2, "--role are required"},
			{"email taken", "another password\n", []string{"create", "--email", "bo@example.com", "--name", "Bo", "--role", "agent", "--password-stdin"}, 1, "already_exists"},
			{"short password", "short\n", []string{"create", "--email", "cy@example.com", "--name", "Cy", "--role", "agent", "--password-stdin"}, 1, "at least 8 characters"},
			{"empty standard input", "", []string{"create", "--email", "cy@example.com", "--name", "Cy", "--role", "agent", "--password-stdin"}, 1, "holds no password"},
			{"passwd of nobody", "long enough\n", []string{"passwd", "--password-stdin", "nobody@example.com"}, 1, "not_found"},
			{"passwd without email", "long enough\n", []string{"passwd", "--password-stdin"}, 2, "one argument"},
			{"unknown account", "long enough\n", []string{"create", "--account", "nope", "--email", "cy@example.com", "--name", "Cy", "--role", "agent", "--password-stdin"}, 1, "account nope not found"},
		} {
			res := s.adminStdin(t, tc.stdin, append(users, tc.args[0]), tc.args[1:]...)
			if res.Code != tc.code || !strings.Contains(res.Stderr, tc.want) {
				t.Errorf("%s: exit %d, stderr %q; want exit %d naming %q", tc.name, res.Code, res.Stderr, tc.code, tc.want)
			}
		}
		res = s.admin(t, append(users, "list"))
		if n := len(strings.Split(strings.TrimSpace(res.Stdout), "\n")); res.Code != 0 || n != 3 {
			t.Errorf("users list after refused commands: exit %d, %d lines\n%s", res.Code, n, res.Stdout)
		}
	})
}
