package media_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/media"
)

func TestPutThenOpen(t *testing.T) {
	ctx := context.Background()
	d, err := media.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key, err := d.Put(ctx, strings.NewReader("jpeg bytes"), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	f, typ, err := d.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	if string(b) != "jpeg bytes" || typ != "image/jpeg" {
		t.Errorf("Open = %q, %q", b, typ)
	}
	other, _ := d.Put(ctx, strings.NewReader("x"), "")
	if other == key {
		t.Error("two files share a key")
	}
	for _, bad := range []string{"", "../../etc/passwd", strings.ToUpper(key), key[:31], key + ".type", "0123456789abcdef0123456789abcdef"} {
		if _, _, err := d.Open(ctx, bad); !errors.Is(err, carillon.ErrNotFound) {
			t.Errorf("Open(%q) = %v, want ErrNotFound", bad, err)
		}
	}
}
