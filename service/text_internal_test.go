package service

import (
	"encoding/json"
	"testing"

	"github.com/carillon/carillon"
)

func TestCleanJSON(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, in, want string }{
		{"clean text is kept as it is", `{"b":"x","a":"\u00e9\t"}`, `{"b":"x","a":"\u00e9\t"}`},
		{"NUL removed", `{"name":"A\u0000na","x":["\u0000"]}`, `{"name":"Ana","x":[""]}`},
		{"an escaped backslash before u0000 is text", `{"a":"\\u0000"}`, `{"a":"\\u0000"}`},
		{"NUL after an escaped backslash", `{"a":"\\\u0000"}`, `{"a":"\\"}`},
		{"invalid UTF-8 replaced", "{\"a\":\"caf\xe9\"}", `{"a":"caf` + "\uFFFD" + `"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := cleanJSON(json.RawMessage(tt.in))
			if string(got) != tt.want || !json.Valid(got) {
				t.Fatalf("cleanJSON(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanInbound(t *testing.T) {
	t.Parallel()
	in := carillon.InboundMessage{From: "3161\x002345678", ProfileName: "Ana\x00 \xffB", ExternalID: "wamid.1",
		Content: carillon.Content{Text: "hi\x00"}, Media: &carillon.InboundMedia{Filename: "a\x00.pdf"},
		Details: map[string]json.RawMessage{carillon.DetailContext: json.RawMessage(`{"id":"x\u0000"}`)}}
	got := cleanInbound(in)
	if got.From != "31612345678" || got.ProfileName != "Ana \uFFFDB" || got.ExternalID != "wamid.1" || got.Content.Text != "hi" ||
		got.Media.Filename != "a.pdf" || string(got.Details[carillon.DetailContext]) != `{"id":"x"}` {
		t.Fatalf("cleanInbound = %+v", got)
	}
	r := cleanReceipt(carillon.Receipt{ExternalID: "w\x00", Status: carillon.StatusFailed, Payload: json.RawMessage("{\"a\":\"\xff\"}"),
		Code: "131\x00", Reason: "bad\xff", CorrectedAddress: "316\x00"})
	if r.ExternalID != "w" || r.Status != carillon.StatusFailed || string(r.Payload) != "{\"a\":\"\uFFFD\"}" ||
		r.Code != "131" || r.Reason != "bad\uFFFD" || r.CorrectedAddress != "316" {
		t.Fatalf("cleanReceipt = %+v", r)
	}
}

func TestCleanOutcome(t *testing.T) {
	t.Parallel()
	o := cleanOutcome(Outcome{Result: carillon.SendResult{ExternalID: "wamid\x00.1", Address: "316\xff"},
		Err: &carillon.SendError{Code: "131\x00", Title: "bad\xffnews", Payload: json.RawMessage(`{"t":"\u0000"}`)}})
	if o.Result.ExternalID != "wamid.1" || o.Result.Address != "316\uFFFD" || o.Err.Code != "131" || o.Err.Title != "bad\uFFFDnews" ||
		string(o.Err.Payload) != `{"t":""}` {
		t.Fatalf("cleanOutcome = %+v, %+v", o.Result, o.Err)
	}
}

func TestCleanTemplate(t *testing.T) {
	t.Parallel()
	in := carillon.Template{Title: "otp\x00", Text: "code \xff{{1}}", Buttons: []carillon.TemplateButton{{Type: "url", URL: "https://x.example/\x00{{1}}"}}}
	got := cleanTemplate(in)
	if got.Title != "otp" || got.Text != "code \uFFFD{{1}}" || got.Buttons[0].URL != "https://x.example/{{1}}" {
		t.Fatalf("cleanTemplate = %+v", got)
	}
	if in.Buttons[0].URL != "https://x.example/\x00{{1}}" {
		t.Fatalf("cleanTemplate changed its argument's buttons: %+v", in.Buttons)
	}
}
