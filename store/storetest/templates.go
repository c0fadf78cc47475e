package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// Templates (store/templates.go).

func (e *env) template(ch carillon.Channel, title, language string) carillon.Template {
	e.t.Helper()
	t := carillon.Template{UUID: carillon.NewUUID(), AccountID: ch.AccountID, ChannelID: ch.ID, Title: title, Text: "Hello {{1}}",
		Type: "text", Category: "UTILITY", Status: "approved", Language: language, CreatedAt: base, UpdatedAt: base}
	e.must(e.s.CreateTemplate(e.ctx, &t), "CreateTemplate")
	return t
}

func testTemplates(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	ch2 := e.channel(a.ID, carillon.WhatsApp, false)
	chB := e.channel(b.ID, carillon.WhatsApp, true)

	full := carillon.Template{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, Title: "order_shipped",
		Text: "Hello {{1}}, order {{2}} has shipped ✓ \"now\"", Type: "image", Category: "MARKETING", Status: "pending",
		Language: "es_AR", ExternalID: "1234567890", CreatedAt: sloppy(at(time.Second)), UpdatedAt: sloppy(at(2 * time.Second)),
		Buttons: []carillon.TemplateButton{
			{Type: carillon.ButtonURL, Text: "Track \"it\" ✓", URL: "https://example.com/track/{{1}}"},
			{Type: carillon.ButtonQuickReply, Text: "Stop"},
			{Type: carillon.ButtonPhoneNumber, Text: "Call", PhoneNumber: "+31612345678"},
			{Type: carillon.ButtonOTP, Text: "Copy code", OTPType: "copy_code"},
		}}
	e.must(e.s.CreateTemplate(e.ctx, &full), "CreateTemplate")
	if full.ID == 0 {
		t.Fatal("CreateTemplate left the ID 0")
	}
	full.CreatedAt, full.UpdatedAt = norm(full.CreatedAt), norm(full.UpdatedAt)
	got, err := e.s.TemplateByUUID(e.ctx, a.ID, full.UUID)
	e.must(err, "TemplateByUUID")
	check(t, "TemplateByUUID", got, full)
	got, err = e.s.TemplateByKey(e.ctx, ch.ID, "order_shipped", "es_AR")
	e.must(err, "TemplateByKey")
	check(t, "TemplateByKey", got, full)

	// The same title in another language, or on another channel, is
	// another template.
	en := e.template(ch, "order_shipped", "en")
	other := e.template(ch2, "order_shipped", "es_AR")
	tb := e.template(chB, "order_shipped", "es_AR")
	for _, tc := range []struct {
		ch    int64
		title string
		lang  string
		want  carillon.Template
	}{
		{ch.ID, "order_shipped", "en", en},
		{ch2.ID, "order_shipped", "es_AR", other},
		{chB.ID, "order_shipped", "es_AR", tb},
	} {
		got, err := e.s.TemplateByKey(e.ctx, tc.ch, tc.title, tc.lang)
		if err != nil {
			t.Errorf("TemplateByKey(%d, %s, %s): %v", tc.ch, tc.title, tc.lang, err)
			continue
		}
		check(t, fmt.Sprintf("TemplateByKey(%d, %s, %s)", tc.ch, tc.title, tc.lang), got, tc.want)
	}

	up := full
	up.Title, up.Text, up.Type, up.Category, up.Status = "order_sent", "Sent {{1}}", "text", "UTILITY", "approved"
	up.Language, up.ExternalID, up.UpdatedAt = "pt_BR", "", sloppy(at(time.Hour))
	up.Buttons = []carillon.TemplateButton{{Type: carillon.ButtonCopyCode, Text: "Copy offer code"}}
	up.UUID, up.ChannelID, up.CreatedAt = carillon.NewUUID(), ch2.ID, at(time.Hour) // not written
	e.must(e.s.UpdateTemplate(e.ctx, &up), "UpdateTemplate")
	want := up
	want.UUID, want.ChannelID, want.CreatedAt, want.UpdatedAt = full.UUID, full.ChannelID, full.CreatedAt, norm(up.UpdatedAt)
	got, err = e.s.TemplateByUUID(e.ctx, a.ID, full.UUID)
	e.must(err, "TemplateByUUID")
	check(t, "template after UpdateTemplate", got, want)
	got, err = e.s.TemplateByKey(e.ctx, ch.ID, "order_sent", "pt_BR")
	e.must(err, "TemplateByKey of the new key")
	check(t, "TemplateByKey of the new key", got, want)

	dup := want
	dup.Title, dup.Language = "order_shipped", "en"
	wantErr(t, "UpdateTemplate to another template's key", e.s.UpdateTemplate(e.ctx, &dup), carillon.ErrConflict)
	wantErr(t, "CreateTemplate of a taken key", func() error {
		c := en
		c.ID, c.UUID = 0, carillon.NewUUID()
		return e.s.CreateTemplate(e.ctx, &c)
	}(), carillon.ErrConflict)
	wantErr(t, "CreateTemplate of a taken uuid", func() error {
		c := en
		c.ID, c.Title = 0, "another"
		return e.s.CreateTemplate(e.ctx, &c)
	}(), carillon.ErrConflict)
	bad := want
	bad.AccountID, bad.Title = b.ID, "hijacked"
	missing := want
	missing.ID = full.ID + en.ID + other.ID + tb.ID + 100
	wantNotFound(t, map[string]func() error{
		"UpdateTemplate with the wrong account": func() error { return e.s.UpdateTemplate(e.ctx, &bad) },
		"UpdateTemplate of a missing template":  func() error { return e.s.UpdateTemplate(e.ctx, &missing) },
		"TemplateByUUID other account":          func() error { _, err := e.s.TemplateByUUID(e.ctx, b.ID, full.UUID); return err },
		"TemplateByUUID missing":                func() error { _, err := e.s.TemplateByUUID(e.ctx, a.ID, carillon.NewUUID()); return err },
		"TemplateByKey old key":                 func() error { _, err := e.s.TemplateByKey(e.ctx, ch.ID, "order_shipped", "es_AR"); return err },
		"TemplateByKey other language":          func() error { _, err := e.s.TemplateByKey(e.ctx, ch.ID, "order_sent", "en"); return err },
		"TemplateByKey other channel":           func() error { _, err := e.s.TemplateByKey(e.ctx, ch2.ID, "order_sent", "pt_BR"); return err },
	})
	got, err = e.s.TemplateByUUID(e.ctx, a.ID, full.UUID)
	e.must(err, "TemplateByUUID")
	check(t, "template after refused updates", got, want)

	// Removing every button leaves none (nil, as a template that never
	// had any).
	want.Buttons = nil
	e.must(e.s.UpdateTemplate(e.ctx, &want), "UpdateTemplate without buttons")
	got, err = e.s.TemplateByUUID(e.ctx, a.ID, full.UUID)
	e.must(err, "TemplateByUUID")
	check(t, "template after its buttons were removed", got, want)
}

func testListTemplates(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	chB := e.channel(b.ID, carillon.WhatsApp, true)
	var all []carillon.Template
	for i := range 5 {
		all = append(all, e.template(ch, fmt.Sprintf("t%d", i), "en"))
		if i == 2 {
			e.template(chB, "b", "en")
		}
	}
	checkPages(t, "ListTemplates", all, func(p carillon.Page) ([]carillon.Template, int, error) { return e.s.ListTemplates(e.ctx, a.ID, p) })
	got, n, err := e.s.ListTemplates(e.ctx, b.ID, carillon.Page{Number: 1, Size: 25})
	e.must(err, "ListTemplates")
	if len(got) != 1 || n != 1 || got[0].Title != "b" {
		t.Errorf("ListTemplates of the other account: %d templates, total %d", len(got), n)
	}
	got, n, err = e.s.ListTemplates(e.ctx, a.ID+b.ID+100, carillon.Page{Number: 1, Size: 25})
	e.must(err, "ListTemplates")
	if len(got) != 0 || n != 0 {
		t.Errorf("ListTemplates of a missing account: %d templates, total %d", len(got), n)
	}
}
