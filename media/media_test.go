package media_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/media"
)

// Bytes of a few formats, as much of their start as their signatures need.
const (
	jpegBytes = "\xff\xd8\xff\xe0\x00\x10JFIF\x00 a tiny jpeg"
	pngBytes  = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR a tiny png"
	oggBytes  = "OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00OpusHead a voice note"
	htmlBytes = "<html><body><script>alert(document.cookie)</script></body></html>"
	svgBytes  = `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`
	pdfBytes  = "%PDF-1.7\n% an invoice"
)

func open(t *testing.T) (*media.Dir, string) {
	t.Helper()
	dir := t.TempDir()
	d, err := media.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d, dir
}

func read(t *testing.T, f carillon.MediaFile) string {
	t.Helper()
	defer f.Content.Close()
	b, err := io.ReadAll(f.Content)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A file is kept under a name made of a random key and the extension of
// the type it is kept as, and opened by that name or by its key alone.
func TestPutThenOpen(t *testing.T) {
	ctx := context.Background()
	d, _ := open(t)
	name, err := d.Put(ctx, strings.NewReader(jpegBytes), "image/jpeg", "")
	if err != nil {
		t.Fatal(err)
	}
	key, ext, _ := strings.Cut(name, ".")
	if len(key) != 32 || ext != "jpg" {
		t.Fatalf("Put = %q, want <32 hex digits>.jpg", name)
	}
	for _, by := range []string{name, key} {
		f, err := d.Open(ctx, by)
		if err != nil {
			t.Fatalf("Open(%q): %v", by, err)
		}
		want := carillon.MediaFile{Size: int64(len(jpegBytes)), ContentType: "image/jpeg", Name: name, Filename: name, Inline: true}
		if got := read(t, f); got != jpegBytes {
			t.Errorf("Open(%q) read %q", by, got)
		}
		f.Content = nil
		if f != want {
			t.Errorf("Open(%q) = %+v, want %+v", by, f, want)
		}
	}
	other, _ := d.Put(ctx, strings.NewReader("x"), "", "")
	if other == name {
		t.Error("two files share a name")
	}
	for _, bad := range []string{"", "../../etc/passwd", strings.ToUpper(key), key[:31], key + ".type", key + ".meta",
		key + ".png", key + ".JPG", key + ".jpeg", key + ".", key + ".jpg.jpg", "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef.jpg"} {
		if _, err := d.Open(ctx, bad); !errors.Is(err, carillon.ErrNotFound) {
			t.Errorf("Open(%q) = %v, want ErrNotFound", bad, err)
		}
	}
}

// The type a file is kept as is checked against its bytes; only images,
// audio and video that the bytes bear out are inline.
func TestTypeCheckedAgainstTheBytes(t *testing.T) {
	ctx := context.Background()
	d, _ := open(t)
	for _, c := range []struct {
		name, declared, data string
		wantType, wantExt    string
		wantInline           bool
	}{
		{"image as declared", "image/jpeg", jpegBytes, "image/jpeg", "jpg", true},
		{"an alias under its usual name", "image/jpg", jpegBytes, "image/jpeg", "jpg", true},
		{"parameters kept", "audio/ogg; codecs=opus", oggBytes, "audio/ogg; codecs=opus", "ogg", true},
		{"voice note declared as opus", "audio/opus", oggBytes, "audio/ogg", "ogg", true},
		{"mp3 with an ID3 tag", "audio/mpeg", "ID3\x04\x00\x00\x00\x00\x00\x00 a song", "audio/mpeg", "mp3", true},
		{"mp3 frames", "audio/mp3", "\xff\xfb\x90\x64 frames", "audio/mpeg", "mp3", true},
		{"aac in adts", "audio/aac", "\xff\xf1\x50\x80\x02\x1f\xfc frames", "audio/aac", "aac", true},
		{"amr voice", "audio/amr", "#!AMR\n frames", "audio/amr", "amr", true},
		{"m4a under audio/mp4", "audio/mp4", "\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "audio/mp4", "m4a", true},
		{"mp4 of another brand", "video/mp4", "\x00\x00\x00\x18ftypisom\x00\x00\x02\x00", "video/mp4", "mp4", true},
		{"3gpp video", "video/3gpp", "\x00\x00\x00\x18ftyp3gp4\x00\x00\x00\x00", "video/3gpp", "3gp", true},
		{"webm sticker", "video/webm", "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm", "webm", true},
		{"png declared jpeg: the bytes win", "image/jpeg", pngBytes, "image/png", "png", true},
		{"html declared as a pdf", "application/pdf", htmlBytes, "text/html; charset=utf-8", "html", false},
		{"html declared as an image", "image/jpeg", htmlBytes, "text/html; charset=utf-8", "html", false},
		{"svg declared as a png", "image/png", svgBytes, "text/plain; charset=utf-8", "txt", false},
		{"unknown bytes declared as audio", "audio/ogg", "\x00\x01\x02\x03 not ogg", "application/octet-stream", "bin", false},
		{"html as declared", "text/html", htmlBytes, "text/html", "html", false},
		{"svg as declared", "image/svg+xml", svgBytes, "image/svg+xml", "svg", false},
		{"a pdf", "application/pdf", pdfBytes, "application/pdf", "pdf", false},
		{"a word file (zip bytes) as declared", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "PK\x03\x04 document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", false},
		{"a telegram sticker (gzip bytes) as declared", "application/x-tgsticker", "\x1f\x8b\x08 lottie", "application/x-tgsticker", "tgs", false},
		{"a type of no known extension", "application/x-custom", "some bytes", "application/x-custom", "bin", false},
		{"a jpeg declared as a document", "application/msword", jpegBytes, "image/jpeg", "jpg", true},
		{"no declared type", "", pdfBytes, "application/pdf", "pdf", false},
		{"octet-stream", "application/octet-stream", jpegBytes, "image/jpeg", "jpg", true},
		{"octet-stream, text bytes", "application/octet-stream", "plain words", "text/plain; charset=utf-8", "txt", false},
		{"a declared type that does not parse", "image/jpeg; ;;", htmlBytes, "text/html; charset=utf-8", "html", false},
		{"an empty file", "image/png", "", "text/plain; charset=utf-8", "txt", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			name, err := d.Put(ctx, strings.NewReader(c.data), c.declared, "")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(name, "."+c.wantExt) {
				t.Errorf("name %q, want extension .%s", name, c.wantExt)
			}
			f, err := d.Open(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if got := read(t, f); got != c.data {
				t.Errorf("read %q", got)
			}
			if f.ContentType != c.wantType || f.Inline != c.wantInline {
				t.Errorf("kept as %q, inline %v; want %q, inline %v", f.ContentType, f.Inline, c.wantType, c.wantInline)
			}
		})
	}
}

// The name the customer gave is offered for saving, made safe.
func TestFilenameMadeSafe(t *testing.T) {
	ctx := context.Background()
	d, _ := open(t)
	for _, c := range []struct{ given, want string }{
		{"invoice.pdf", "invoice.pdf"},
		{"Factura número 7.pdf", "Factura número 7.pdf"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\ana\report.pdf`, "report.pdf"},
		{"a\"b'c`d.pdf", "a_b_c_d.pdf"},
		{"line\r\nbreak: yes.pdf", "line  break_ yes.pdf"},
		{"tab\there.pdf", "tab here.pdf"},
		{"invoice\u202efdp.exe", "invoicefdp.exe"}, // a right-to-left override hid .exe
		{"zero\u200bwidth.pdf", "zerowidth.pdf"},
		{"<script>?*|.pdf", "_script____.pdf"},
		{".hidden", "hidden"},
		{"trailing. . ", "trailing"},
		{"bad\xffutf8.pdf", "bad\ufffdutf8.pdf"},
		{strings.Repeat("é", 150) + ".pdf", strings.Repeat("é", 98) + ".pdf"},
		{"", ""},
		{"..", ""},
		{"/", ""},
	} {
		name, err := d.Put(ctx, strings.NewReader(pdfBytes), "application/pdf", c.given)
		if err != nil {
			t.Fatal(err)
		}
		f, err := d.Open(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		f.Content.Close()
		want := c.want
		if want == "" {
			want = name
		}
		if f.Filename != want {
			t.Errorf("file named %q is offered as %q, want %q", c.given, f.Filename, want)
		}
	}
}

// Files kept before descriptions existed (<key> and <key>.type, the
// declared type) are still served, by their key alone as their URLs have
// it, and their type is checked against their bytes as new files' are.
func TestFilesKeptBeforeDescriptions(t *testing.T) {
	ctx := context.Background()
	d, dir := open(t)
	for _, c := range []struct {
		key, declared, data, wantType string
		wantInline                    bool
	}{
		{"0123456789abcdef0123456789abcdef", "image/jpeg", jpegBytes, "image/jpeg", true},
		{"1123456789abcdef0123456789abcdef", "image/jpeg", htmlBytes, "text/html; charset=utf-8", false},
		{"2123456789abcdef0123456789abcdef", "text/html", htmlBytes, "text/html", false},
		{"3123456789abcdef0123456789abcdef", "", oggBytes, "audio/ogg", true}, // no .type file
	} {
		if err := os.WriteFile(filepath.Join(dir, c.key), []byte(c.data), 0o600); err != nil {
			t.Fatal(err)
		}
		if c.declared != "" {
			if err := os.WriteFile(filepath.Join(dir, c.key+".type"), []byte(c.declared), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		f, err := d.Open(ctx, c.key)
		if err != nil {
			t.Fatalf("Open(%q): %v", c.key, err)
		}
		if got := read(t, f); got != c.data || f.ContentType != c.wantType || f.Inline != c.wantInline {
			t.Errorf("file of type %q: read %q as %q inline %v, want %q inline %v", c.declared, got, f.ContentType, f.Inline, c.wantType, c.wantInline)
		}
		f, err = d.Open(ctx, f.Name)
		if err != nil {
			t.Fatalf("Open by its name: %v", err)
		}
		f.Content.Close()
	}
}

// Delete removes a file and its description, by name or key; a name that
// names nothing (or nothing the store could have made) is not an error.
func TestDelete(t *testing.T) {
	ctx := context.Background()
	d, dir := open(t)
	kept, _ := d.Put(ctx, strings.NewReader(pngBytes), "image/png", "kept.png")
	for _, by := range []func(string) string{func(n string) string { return n }, func(n string) string { key, _, _ := strings.Cut(n, "."); return key }} {
		name, err := d.Put(ctx, strings.NewReader(jpegBytes), "image/jpeg", "photo.jpg")
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Delete(ctx, by(name)); err != nil {
			t.Fatalf("Delete(%q): %v", by(name), err)
		}
		if _, err := d.Open(ctx, name); !errors.Is(err, carillon.ErrNotFound) {
			t.Errorf("Open after Delete(%q) = %v, want ErrNotFound", by(name), err)
		}
		if err := d.Delete(ctx, name); err != nil {
			t.Errorf("Delete of a deleted file: %v", err)
		}
	}
	for _, bad := range []string{"", "../../etc/passwd", "0123456789abcdef0123456789abcdef"} {
		if err := d.Delete(ctx, bad); err != nil {
			t.Errorf("Delete(%q) = %v", bad, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("the folder holds %d entries, want the kept file and its description", len(entries))
	}
	if f, err := d.Open(ctx, kept); err != nil {
		t.Errorf("the other file: %v", err)
	} else {
		f.Content.Close()
	}
}

func TestPutRefusesFilesOverTheLimit(t *testing.T) {
	d, dir := open(t)
	_, err := d.Put(context.Background(), io.LimitReader(zeros{}, media.MaxSize+1), "video/mp4", "")
	if err == nil {
		t.Fatal("Put of a file over MaxSize succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused file left %d entries in the folder", len(entries))
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Whatever a network declares and whatever the bytes, a file shown inline
// is an image, an audio or a video whose bytes carry their format's
// signature, and its name's extension is the one it is served under.
func FuzzPut(f *testing.F) {
	for _, seed := range []struct{ declared, data string }{
		{"image/jpeg", jpegBytes}, {"image/jpeg", htmlBytes}, {"audio/ogg; codecs=opus", oggBytes},
		{"application/pdf", svgBytes}, {"", pngBytes}, {"video/mp4", "\x00\x00\x00\x18ftypisom"},
	} {
		f.Add(seed.declared, []byte(seed.data))
	}
	d, err := media.Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, declared string, data []byte) {
		ctx := context.Background()
		name, err := d.Put(ctx, strings.NewReader(string(data)), declared, "")
		if err != nil {
			t.Fatal(err)
		}
		file, err := d.Open(ctx, name)
		if err != nil {
			t.Fatalf("Open(%q) of the name Put gave: %v", name, err)
		}
		file.Content.Close()
		if !file.Inline {
			return
		}
		typ := file.ContentType
		if !strings.HasPrefix(typ, "image/") && !strings.HasPrefix(typ, "audio/") && !strings.HasPrefix(typ, "video/") {
			t.Errorf("%q shown inline", typ)
		}
		if len(data) < 2 || data[0] == '<' || strings.HasPrefix(typ, "image/svg") {
			t.Errorf("%q bytes %q shown inline as %q", declared, data, typ)
		}
	})
}
