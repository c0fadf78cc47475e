package httpapi

import (
	"mime"
	"testing"
)

// A file's Content-Disposition names it in ASCII for every client, and in
// UTF-8 (RFC 8187) when its name has other characters; the value parses
// back to the name.
func TestContentDisposition(t *testing.T) {
	for _, c := range []struct {
		inline bool
		name   string
		want   string
	}{
		{true, "0123456789abcdef0123456789abcdef.jpg", `inline; filename="0123456789abcdef0123456789abcdef.jpg"`},
		{false, "invoice 7.pdf", `attachment; filename="invoice 7.pdf"`},
		{false, "evil.svg", `attachment; filename="evil.svg"`},
		{false, "Factura número 7.pdf", `attachment; filename="Factura n_mero 7.pdf"; filename*=UTF-8''Factura%20n%C3%BAmero%207.pdf`},
		{true, "фото.jpg", `inline; filename="____.jpg"; filename*=UTF-8''%D1%84%D0%BE%D1%82%D0%BE.jpg`},
		{false, "50%;off=1.pdf", `attachment; filename="50%;off=1.pdf"`},
	} {
		got := contentDisposition(c.inline, c.name)
		if got != c.want {
			t.Errorf("contentDisposition(%v, %q) = %s, want %s", c.inline, c.name, got, c.want)
		}
		_, params, err := mime.ParseMediaType(got)
		if err != nil || params["filename"] != c.name {
			t.Errorf("%s parses to %q (%v), want %q", got, params["filename"], err, c.name)
		}
	}
}
