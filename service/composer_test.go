package service_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// A template's values are asked for in the order template_values takes
// them, each named by what it fills; the preview shows the values in
// place, and the placeholders of the missing ones.
func TestTemplateSlotsAndPreview(t *testing.T) {
	t.Parallel()
	tm := carillon.Template{Title: "track", Type: carillon.TypeImage, Text: "Hello {{1}}, order {{ 2 }} has shipped",
		Buttons: []carillon.TemplateButton{
			{Type: carillon.ButtonQuickReply, Text: "Stop"},
			{Type: carillon.ButtonURL, Text: "Track", URL: "https://example.com/track/{{1}}"},
			{Type: carillon.ButtonURL, Text: "Shop", URL: "https://example.com/shop"},
			{Type: carillon.ButtonCopyCode},
			{Type: carillon.ButtonPhoneNumber, Text: "Call us", PhoneNumber: "+31201234567"},
		}}
	var labels []string
	for _, s := range service.TemplateSlots(tm) {
		labels = append(labels, s.Label)
	}
	wantLabels := []string{"{{1}} in the text", "{{2}} in the text", "button 2 (URL): the end of https://example.com/track/", "button 4 (copy code): the code"}
	if !reflect.DeepEqual(labels, wantLabels) {
		t.Errorf("slots %q, want %q", labels, wantLabels)
	}
	if len(labels) != tm.ValueCount() {
		t.Errorf("%d slots for a template of %d values", len(labels), tm.ValueCount())
	}

	got := service.PreviewTemplate(tm, []string{"Ana", " ", "ABC"})
	want := service.TemplatePreview{
		Header: carillon.TypeImage,
		Text: []service.PreviewPart{{Text: "Hello "}, {Text: "Ana", Slot: 1}, {Text: ", order "}, {Text: "{{ 2 }}", Slot: 2, Missing: true},
			{Text: " has shipped"}},
		Buttons: []service.PreviewButton{
			{Text: "Stop", Kind: "quick reply"},
			{Text: "Track", Kind: "URL", Carries: []service.PreviewPart{{Text: "https://example.com/track/"}, {Text: "ABC", Slot: 3}}},
			{Text: "Shop", Kind: "URL", Carries: []service.PreviewPart{{Text: "https://example.com/shop"}}},
			{Text: "copy code", Kind: "copy code", Carries: []service.PreviewPart{{Text: "{{code}}", Slot: 4, Missing: true}}},
			{Text: "Call us", Kind: "phone number", Carries: []service.PreviewPart{{Text: "+31201234567"}}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("preview\n%+v\nwant\n%+v", got, want)
	}
}

// Retry sends a failed template message again: a new message of the same
// template, values and metadata, the failed one unchanged; the same form
// twice retries once; another conversation's message, or one the viewer
// may not see, is not found.
func TestRetryTemplate(t *testing.T) {
	t.Parallel()
	tf := setupTemplates(t)
	ctx := context.Background()
	req := tf.templateSend("two", func(r *service.SendRequest) {
		r.To, r.TemplateValues, r.Metadata = "+15550000001", []string{"Ana", "42"}, map[string]any{"order": "42"}
	})
	res, err := tf.svc.Messages.Send(ctx, tf.p, req)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Message
	m.Attempts = 1
	failed, err := tf.svc.Messages.RecordOutcome(ctx, m, service.Outcome{Err: &carillon.SendError{Permanent: true, Code: "131026", Title: "Message undeliverable"}})
	if err != nil || failed.Status != carillon.StatusFailed {
		t.Fatalf("RecordOutcome = %+v, %v", failed, err)
	}
	admin := service.Viewer{UserID: 7, Role: carillon.RoleAdmin}
	conversation := res.Contact.ConversationUUID

	again, err := tf.svc.Messages.Retry(ctx, tf.p, admin, conversation, failed.UUID, "form-1")
	if err != nil {
		t.Fatal(err)
	}
	n := again.Message
	if n.UUID == failed.UUID || n.TemplateUUID != failed.TemplateUUID || !reflect.DeepEqual(n.TemplateValues, failed.TemplateValues) ||
		n.Content.Text != "Hello Ana, order 42 has shipped" || n.Metadata["order"] != "42" || n.Status != carillon.StatusEnqueued {
		t.Errorf("the retry is %+v, from %+v", n, failed)
	}
	twice, err := tf.svc.Messages.Retry(ctx, tf.p, admin, conversation, failed.UUID, "form-1")
	if err != nil || !twice.Replayed || twice.Message.UUID != n.UUID {
		t.Errorf("the same form again = %+v, %v; want the first retry replayed", twice.Message, err)
	}
	after, err := tf.db.MessageByUUID(ctx, tf.p.Account.ID, failed.UUID)
	if err != nil || after.Status != carillon.StatusFailed || after.Version != failed.Version {
		t.Errorf("the failed message is now %+v (%v)", after, err)
	}
	if got := tf.disp.count(); got != 2 {
		t.Errorf("%d messages handed to the pipeline, want 2 (the message and one retry)", got)
	}

	restricted := service.Viewer{UserID: 7, Role: carillon.RoleRestrictedAgent}
	for _, tc := range []struct {
		name               string
		v                  service.Viewer
		conversation, uuid string
	}{
		{"another conversation", admin, carillon.NewUUID(), failed.UUID},
		{"not the viewer's", restricted, conversation, failed.UUID},
		{"no such message", admin, conversation, carillon.NewUUID()},
	} {
		_, err := tf.svc.Messages.Retry(ctx, tf.p, tc.v, tc.conversation, tc.uuid, "form-2")
		wantCode(t, err, carillon.CodeNotFound, "")
	}
	_, err = tf.svc.Messages.Retry(ctx, tf.p, admin, conversation, n.UUID, "form-3")
	wantCode(t, err, carillon.CodeConflict, "")
	_, err = tf.svc.Messages.Retry(ctx, tf.p, admin, conversation, failed.UUID, "")
	wantCode(t, err, carillon.CodeInvalidParameter, "key")
}
