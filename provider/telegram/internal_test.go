package telegram

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	b := bot{token: "123:AAsecret_part-xyz"}
	for in, want := range map[string]string{
		`Post "https://api.telegram.org/bot123:AAsecret_part-xyz/sendMessage": EOF`: `Post "https://api.telegram.org/bot<redacted>/sendMessage": EOF`,
		`GET /file/bot123%3AAAsecret_part-xyz/photos/file_0.jpg`:                    `GET /file/bot<redacted>/photos/file_0.jpg`,
		`token part AAsecret_part-xyz alone`:                                        `token part <redacted> alone`,
		`nothing secret`:                                                            `nothing secret`,
	} {
		if got := b.redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFillTemplate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		text   string
		values []string
		want   string
	}{
		{"Hello {{1}}, order {{2}} has shipped", []string{"Ana", "A-1"}, "Hello Ana, order A-1 has shipped"},
		{"{{ 1 }} and {{1}} again", []string{"x"}, "x and x again"},
		{"{{2}} before {{1}}", []string{"a", "b"}, "b before a"},
		{"missing {{3}}", []string{"a"}, "missing {{3}}"},
		{"no placeholders", nil, "no placeholders"},
		{"a value with {{2}} inside: {{1}}", []string{"{{2}}", "b"}, "a value with b inside: {{2}}"},
	} {
		if got := fillTemplate(tt.text, tt.values); got != tt.want {
			t.Errorf("fillTemplate(%q, %q) = %q, want %q", tt.text, tt.values, got, tt.want)
		}
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ served, path, declared, want string }{
		{"image/png", "photos/file_1.jpg", "", "image/png"},
		{"application/octet-stream", "photos/file_1.jpg", "", "image/jpeg"},
		{"", "voice/file_2.oga", "", "audio/ogg"},
		{"application/octet-stream", "stickers/file_3.tgs", "", "application/x-tgsticker"},
		{"application/octet-stream", "documents/file_4", "application/zip", "application/zip"},
		{"application/octet-stream", "documents/file_5", "", "application/octet-stream"},
	} {
		if got := contentType(tt.served, tt.path, tt.declared); got != tt.want {
			t.Errorf("contentType(%q, %q, %q) = %q, want %q", tt.served, tt.path, tt.declared, got, tt.want)
		}
	}
}

func TestLimitedBody(t *testing.T) {
	t.Parallel()
	read := func(size, limit int) error {
		b := &limitedBody{ReadCloser: io.NopCloser(strings.NewReader(strings.Repeat("x", size))), left: int64(limit)}
		_, err := io.ReadAll(b)
		return err
	}
	if err := read(10, 10); err != nil {
		t.Errorf("a body of exactly the limit: %v", err)
	}
	if err := read(11, 10); !errors.Is(err, errFileTooLarge) {
		t.Errorf("a body over the limit: err = %v, want errFileTooLarge", err)
	}
}
