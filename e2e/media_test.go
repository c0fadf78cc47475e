package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon/provider/telegram/telegramtest"
	"github.com/carillon/carillon/provider/whatsapp/whatsapptest"
)

// Bytes of the customers' files of the media tests: as much of each
// format as its signature needs.
const (
	oggVoice  = "OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00OpusHead a voice note"
	pngImage  = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR a tiny png"
	pdfFile   = "%PDF-1.7\n% an invoice"
	htmlPage  = "<html><body><script>fetch('/v1/contacts')</script></body></html>"
	svgScript = `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"/>`
)

// mediaCase is an inbound file and how carillon must serve it.
type mediaCase struct {
	name string
	data string
	// post sends the message that carries the file and returns the
	// contact's address and channel, as GET /v1/contacts/phone/ takes them.
	post func(t *testing.T) string
	// ext is the extension of the file's URL; contentType and
	// disposition its answer's headers, {name} standing for the URL's last
	// part.
	ext, contentType, disposition string
}

// Customers' files are served so that none can act as a page of
// carillon's origin: an image, audio or video whose bytes bear out its
// type is inline, everything else is a download under a safe name, every
// answer forbids sniffing and runs nothing (CSP sandbox), and a declared
// type the bytes contradict gives way to the bytes'. Their URLs end with
// the extension of the type they are served as, in the messages' history
// and in webhook payloads, as Callbell's do; the URL without extension
// serves them too, another extension does not.
func TestInboundMediaServedSafely(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		rc := newReceiver(t, nil)
		s := startServerOn(t, kind, "--webhook-allow-private")
		s.subscribe(t, rc.URL, `["message_created"]`)

		graph := whatsapptest.New(t)
		const phoneID, appSecret = "109876543210", "app-secret-media"
		waUUID, waCallback := addWhatsAppChannel(t, s, graph, "wa-media", phoneID, appSecret, "verify")
		bot := telegramtest.New()
		t.Cleanup(bot.Close)
		tgUUID, tgCallback := addChannel(t, s, "--title", "tg-media", "--type", "telegram", "--provider", "telegram",
			"--setting", "bot_token="+telegramtest.DefaultToken, "--setting", "base_url="+bot.URL())
		_, tgSecret := bot.Webhook()

		// whatsApp posts a message of type typ carrying the media object
		// (its id gets the file, served by the Graph API as declared).
		whatsApp := func(typ, declared, data, object string) func(t *testing.T) string {
			return func(t *testing.T) string {
				id := "media-" + strconv.Itoa(len(graph.Requests())) + "-" + typ
				graph.AddMedia(id, declared, []byte(data))
				body := `{"object":"whatsapp_business_account","entry":[{"id":"555","changes":[{"field":"messages","value":{
					"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"` + phoneID + `"},
					"contacts":[{"profile":{"name":"Ana"},"wa_id":"31612345678"}],
					"messages":[{"from":"31612345678","id":"wamid.` + id + `","timestamp":"1767225600","type":"` + typ + `",
						"` + typ + `":{"id":"` + id + `","mime_type":"` + declared + `"` + object + `}}]}}]}]}`
				if code, answer := answer(t)(whatsapptest.Post(ctx, waCallback, appSecret, []byte(body))); code != 200 {
					t.Fatalf("callback = %d %s", code, answer)
				}
				return "31612345678?channel_uuid=" + waUUID
			}
		}
		// telegram posts an update whose message has field set to value,
		// the file being served by Telegram's file server at path (as
		// application/octet-stream, as Telegram's does).
		telegram := func(field, path, data string, value map[string]any) func(t *testing.T) string {
			return func(t *testing.T) string {
				id := "file-" + field + "-" + strconv.Itoa(len(bot.Calls()))
				bot.AddFile(id, path, "", []byte(data))
				value["file_id"], value["file_unique_id"] = id, "u"+id
				update := bot.TextUpdate(4242, "Tom", "")
				message := update["message"].(map[string]any)
				delete(message, "text")
				message[field] = value
				if field == "photo" {
					message[field] = []any{value} // its sizes
				}
				if code, answer := answer(t)(bot.PostUpdate(ctx, tgCallback, tgSecret, update)); code != 200 {
					t.Fatalf("update = %d %s", code, answer)
				}
				return "4242?channel_uuid=" + tgUUID
			}
		}

		for _, c := range []mediaCase{
			{name: "a WhatsApp voice note", data: oggVoice,
				post: whatsApp("audio", "audio/ogg; codecs=opus", oggVoice, `,"voice":true`),
				ext:  "ogg", contentType: "audio/ogg; codecs=opus", disposition: `inline; filename="{name}"`},
			{name: "a WhatsApp image whose bytes are a PNG", data: pngImage,
				post: whatsApp("image", "image/jpeg", pngImage, `,"caption":"the box"`),
				ext:  "png", contentType: "image/png", disposition: `inline; filename="{name}"`},
			{name: "a WhatsApp document declared a PDF whose bytes are HTML", data: htmlPage,
				post: whatsApp("document", "application/pdf", htmlPage, `,"filename":"invoice.pdf"`),
				ext:  "html", contentType: "text/html; charset=utf-8", disposition: `attachment; filename="invoice.pdf"`},
			{name: "a WhatsApp PDF with a path and accents in its name", data: pdfFile,
				post: whatsApp("document", "application/pdf", pdfFile, `,"filename":"../Factura número 7.pdf"`),
				ext:  "pdf", contentType: "application/pdf",
				disposition: `attachment; filename="Factura n_mero 7.pdf"; filename*=UTF-8''Factura%20n%C3%BAmero%207.pdf`},
			{name: "a Telegram SVG named evil.svg declared a PDF", data: svgScript,
				post: telegram("document", "documents/file_1.svg", svgScript, map[string]any{"file_name": "evil.svg", "mime_type": "application/pdf"}),
				ext:  "svg", contentType: "image/svg+xml", disposition: `attachment; filename="evil.svg"`},
			{name: "a Telegram photo whose bytes are HTML", data: htmlPage,
				post: telegram("photo", "photos/file_2.jpg", htmlPage, map[string]any{"width": 90, "height": 90}),
				ext:  "html", contentType: "text/html; charset=utf-8", disposition: `attachment; filename="{name}"`},
			{name: "a Telegram voice note", data: oggVoice,
				post: telegram("voice", "voice/file_3.oga", oggVoice, map[string]any{"duration": 2, "mime_type": "audio/ogg"}),
				ext:  "ogg", contentType: "audio/ogg", disposition: `inline; filename="{name}"`},
		} {
			t.Run(c.name, func(t *testing.T) {
				address := c.post(t)
				contact := object(t, s.do(t, "GET", "/v1/contacts/phone/"+address, s.Key, "").JSON(t), "contact")
				latest := s.do(t, "GET", "/v1/contacts/"+contact["uuid"].(string)+"/messages", s.Key, "").JSON(t)["messages"].([]any)[0].(map[string]any)
				attachments, _ := latest["attachments"].([]any)
				form := regexp.MustCompile(`^` + regexp.QuoteMeta(s.URL) + `/media/([0-9a-f]{32})\.` + c.ext + `$`)
				if len(attachments) != 1 || !form.MatchString(attachments[0].(string)) {
					t.Fatalf("attachments %v, want one URL of the form %s", latest["attachments"], form)
				}
				url := attachments[0].(string)
				key := form.FindStringSubmatch(url)[1]
				name := key + "." + c.ext

				// The message_created event carries the same URL.
				waitUntil(t, 20*time.Second, func() bool {
					for _, h := range rc.deliveries() {
						if h.Payload["uuid"] == latest["uuid"] {
							return true
						}
					}
					return false
				}, func() string { return "no message_created for " + latest["uuid"].(string) })
				for _, h := range rc.deliveries() {
					if h.Payload["uuid"] == latest["uuid"] && compact(h.Payload["attachments"]) != compact([]string{url}) {
						t.Errorf("message_created attachments = %v, want [%s]", h.Payload["attachments"], url)
					}
				}

				path := strings.TrimPrefix(url, s.URL)
				want := strings.ReplaceAll(c.disposition, "{name}", name)
				for _, p := range []string{path, "/media/" + key} {
					r := s.do(t, "GET", p, "", "")
					if r.Code != http.StatusOK || string(r.Body) != c.data {
						t.Fatalf("GET %s = %s", p, r)
					}
					for header, value := range map[string]string{
						"Content-Type":            c.contentType,
						"Content-Disposition":     want,
						"Content-Length":          strconv.Itoa(len(c.data)),
						"X-Content-Type-Options":  "nosniff",
						"Content-Security-Policy": "sandbox; default-src 'none'",
						"Cache-Control":           "private, max-age=31536000, immutable",
					} {
						if got := r.Header.Get(header); got != value {
							t.Errorf("GET %s: %s: %q, want %q", p, header, got, value)
						}
					}
				}
				for _, other := range []string{"exe", "jpg", strings.ToUpper(c.ext), c.ext + ".html"} {
					if other == c.ext {
						continue
					}
					r := s.do(t, "GET", "/media/"+key+"."+other, "", "")
					if r.Code != http.StatusNotFound || r.JSON(t)["error"].(map[string]any)["code"] != "not_found" ||
						r.Header.Get("Content-Security-Policy") != "sandbox; default-src 'none'" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
						t.Errorf("GET %s.%s = %s %v, want a 404 not_found with the media headers", key, other, r, r.Header)
					}
				}
			})
		}

		// Files kept by earlier versions (<key> with its declared type in
		// <key>.type) keep their URLs without extension, and are served by
		// the same rules: their type checked against their bytes.
		for _, old := range []struct{ key, declared, data, contentType, disposition string }{
			{"0123456789abcdef0123456789abcdef", "audio/ogg", oggVoice, "audio/ogg", `inline; filename="0123456789abcdef0123456789abcdef.ogg"`},
			{"1123456789abcdef0123456789abcdef", "image/jpeg", htmlPage, "text/html; charset=utf-8", `attachment; filename="1123456789abcdef0123456789abcdef.html"`},
		} {
			dir := filepath.Join(s.data, "media")
			if err := os.WriteFile(filepath.Join(dir, old.key), []byte(old.data), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, old.key+".type"), []byte(old.declared), 0o600); err != nil {
				t.Fatal(err)
			}
			r := s.do(t, "GET", "/media/"+old.key, "", "")
			if r.Code != http.StatusOK || string(r.Body) != old.data || r.Header.Get("Content-Type") != old.contentType ||
				r.Header.Get("Content-Disposition") != old.disposition || r.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("GET a file kept as %s by an earlier version = %s %v", old.declared, r, r.Header)
			}
		}
	})
}
