package console

import (
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// The composer of a conversation's page: text, a file or a template, sent
// with the rules of POST /v1/messages/send (service.Messages.Reply), and
// the retry of a failed message. Every form carries a key made when the
// page was shown: sent twice (a double click, a form sent again), it sends
// once.

// composer answers conversations. *service.Messages is one.
type composer interface {
	Composer(ctx context.Context, p service.Principal, c service.ContactView) (service.Composer, error)
	Reply(ctx context.Context, p service.Principal, v service.Viewer, r service.Reply) (service.SendResult, error)
	Retry(ctx context.Context, p service.Principal, v service.Viewer, conversationUUID, messageUUID, formKey string) (service.SendResult, error)
}

// composerForm is what a composer's form sent, shown again with the
// problem the send met, or with a template's preview.
type composerForm struct {
	Key      string
	Text     string
	Template string
	Values   []string
	OptIn    bool
	// Problem is why the send was refused, and Field the field at fault.
	Problem, Field string
	// FileDropped is set when a file was chosen: a page shown again
	// cannot keep it.
	FileDropped bool
	// Status is the page's status, 0 for 200.
	Status int
}

// composerView is the composer of a conversation's page.
type composerView struct {
	service.Composer
	// Action is where its forms go, Key their key, CSRF their token.
	Action, Key, CSRF string
	Text              string
	// Template is the template picked, nil when none; Slots its values and
	// Preview how it reads with them.
	Template *carillon.Template
	Slots    []slotInput
	Preview  service.TemplatePreview
	OptIn    bool
	// Problem is why the last send was refused, Field the field at fault
	// (the id of its input).
	Problem, Field string
	FileDropped    bool
}

// slotInput is the input of one of a template's values.
type slotInput struct {
	N            int
	ID           string
	Label, Value string
}

// retryForm is the retry of a failed message. The thread shows why it
// failed, once, above the form: Describedby is the id of that reason, ""
// when the thread has none.
type retryForm struct {
	Action, Key, CSRF string
	Describedby       string
}

// Retry is the retry form of m, nil when m cannot be sent again.
func (c *composerView) Retry(m *service.ThreadMessage) *retryForm {
	if !service.Retryable(m.Message) || c.Unavailable != "" {
		return nil
	}
	f := &retryForm{Action: c.Action + "/" + m.UUID + "/retry", Key: c.Key, CSRF: c.CSRF}
	if m.Failure != nil || (m.Status == carillon.StatusFailed && m.LastError != "") {
		f.Describedby = "failure-" + m.UUID
	}
	return f
}

// maxReplyBody bounds a composer's form: the largest file a channel takes,
// and room for the other fields.
const maxReplyBody = service.MaxUpload + 1<<20

// replyMemory is how much of a composer's form is held in memory; the rest
// of a file waits in a temporary file until the answer.
const replyMemory = 1 << 20

// upload registers a signed-in form that may carry a file of up to
// maxReplyBody bytes.
func (s *Server) upload(pattern string, sec section, h pageHandler) {
	signed := s.signedIn(sec, h)
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxReplyBody {
			s.fail(w, r, nil, errTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxReplyBody)
		// Read here, for a signed-in visitor only, so that a file is held
		// in memory up to replyMemory (the form's token is read from it
		// next, which would hold 32 MB).
		if _, err := s.visitOf(r); err == nil && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			var tooLarge *http.MaxBytesError
			if err := r.ParseMultipartForm(replyMemory); errors.As(err, &tooLarge) {
				s.fail(w, r, nil, errTooLarge)
				return
			}
		}
		signed.ServeHTTP(w, r)
	}))
}

var errTooLarge = &carillon.Error{Code: carillon.CodeInvalidParameter, Field: "file",
	Message: "the form is larger than the largest file a channel takes (" + strconv.Itoa(service.MaxUpload>>20) + " MB): go back and choose a smaller file"}

// composerOf is the composer of conversation c's page, with what form f
// sent.
func (s *Server) composerOf(r *http.Request, v *visit, c service.ContactView, f composerForm) (*composerView, error) {
	state, err := s.messages.Composer(r.Context(), v.principal, c)
	if err != nil {
		return nil, err
	}
	cv := &composerView{Composer: state, Action: "/chat/" + c.ConversationUUID + "/messages", Key: f.Key, CSRF: v.csrf,
		Text: f.Text, OptIn: f.OptIn, Problem: f.Problem, Field: f.Field, FileDropped: f.FileDropped}
	if cv.Key == "" {
		cv.Key = carillon.NewUUID()
	}
	for i := range state.Templates {
		if t := state.Templates[i]; t.UUID == f.Template {
			cv.Template = &t
		}
	}
	if cv.Template != nil {
		for i, slot := range service.TemplateSlots(*cv.Template) {
			in := slotInput{N: i + 1, ID: "composer-value-" + strconv.Itoa(i+1), Label: slot.Label}
			if i < len(f.Values) {
				in.Value = f.Values[i]
			}
			cv.Slots = append(cv.Slots, in)
		}
		cv.Preview = service.PreviewTemplate(*cv.Template, f.Values)
	}
	cv.Field = cv.inputOf(f.Field)
	return cv, nil
}

// inputOf is the id of the input a refused field names, "" for none: the
// composer's own fields and those of the API's rules Send applies.
func (c *composerView) inputOf(field string) string {
	switch field {
	case "text", "content.text":
		if c.Template == nil {
			return "composer-text"
		}
	case "file", "content.url", "type":
		if c.Template != nil {
			return "composer-header"
		}
		return "composer-file"
	case "template", "template_uuid":
		return "composer-template"
	case "template_values":
		for _, s := range c.Slots {
			if strings.TrimSpace(s.Value) == "" {
				return s.ID
			}
		}
		if len(c.Slots) > 0 {
			return c.Slots[0].ID
		}
	case "optin", "optin_contact":
		return "composer-optin"
	}
	return ""
}

// TemplateUUID is the uuid of the template picked, "" for none.
func (c *composerView) TemplateUUID() string {
	if c.Template == nil {
		return ""
	}
	return c.Template.UUID
}

// sendReply sends the composer's form: a message, a file or a template.
// Preview (action=preview) shows the page again with the template's values
// and how it reads; a template picked instead of the one shown is shown
// rather than sent. A refused send shows the page again with the problem
// (422, or the status of its code) and what was written; a send redirects
// to the conversation.
func (s *Server) sendReply(w http.ResponseWriter, r *http.Request, v *visit) error {
	c, err := s.contacts.ConversationFor(r.Context(), v.principal, viewerOf(v), pathUUID(r))
	if err != nil {
		return err
	}
	f := composerForm{Key: r.PostFormValue("key"), Text: r.PostFormValue("text"), Template: r.PostFormValue("template"),
		Values: r.PostForm["value"], OptIn: r.PostFormValue("optin") != ""}
	if f.Template != r.PostFormValue("shown") {
		// Another template than the one whose values were shown: its own.
		f.Values = nil
	}
	file, err := fileOf(r, "file")
	if err != nil {
		return err
	}
	if file != nil {
		defer file.Close()
	}
	if r.PostFormValue("action") == "preview" || f.Template != r.PostFormValue("shown") {
		f.FileDropped = file != nil
		return s.showComposed(w, r, v, c, &f)
	}
	res, err := s.messages.Reply(r.Context(), v.principal, viewerOf(v), service.Reply{ConversationUUID: c.ConversationUUID, Key: f.Key,
		Text: f.Text, File: file.upload(), TemplateUUID: f.Template, TemplateValues: f.Values, OptIn: f.OptIn})
	if sendRefused(err) {
		f.refused(err)
		f.FileDropped = file != nil
		return s.showComposed(w, r, v, c, &f)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/chat/"+res.Contact.ConversationUUID+"#composer", http.StatusSeeOther)
	return nil
}

// retryMessage sends a failed message of the conversation again, as a new
// message; the failed one stays as it was.
func (s *Server) retryMessage(w http.ResponseWriter, r *http.Request, v *visit) error {
	c, err := s.contacts.ConversationFor(r.Context(), v.principal, viewerOf(v), pathUUID(r))
	if err != nil {
		return err
	}
	_, err = s.messages.Retry(r.Context(), v.principal, viewerOf(v), c.ConversationUUID, r.PathValue("message"), r.PostFormValue("key"))
	if sendRefused(err) {
		f := composerForm{Key: r.PostFormValue("key")}
		f.refused(err)
		return s.showComposed(w, r, v, c, &f)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/chat/"+c.ConversationUUID+"#composer", http.StatusSeeOther)
	return nil
}

// sendRefused reports whether err is a send the rules refused (a problem the
// form shows), rather than a page that is not there or a failure.
func sendRefused(err error) bool {
	e, ok := carillon.AsError(err)
	if !ok {
		return false
	}
	switch e.Code {
	case carillon.CodeNotFound, carillon.CodeUnauthorized, carillon.CodeRateLimited, carillon.CodeUnavailable, carillon.CodeInternal:
		return false
	}
	return true
}

// refused records the problem of a refused send.
func (f *composerForm) refused(err error) {
	e, _ := carillon.AsError(err)
	f.Problem, f.Field, f.Status = e.Message, e.Field, statusOf(e.Code)
	if e.Code == carillon.CodeIdempotencyKeyReused {
		// The form was sent before with another content (the browser's
		// back button): a new form, to be sent again.
		f.Problem, f.Field, f.Key = "this form was sent already with another content: check the conversation, then send it again if it is still needed", "", ""
	}
}

// formFile is a file of a form.
type formFile struct {
	multipart.File
	header *multipart.FileHeader
}

// fileOf is the file of the form's field name, nil when none was chosen.
func fileOf(r *http.Request, name string) (*formFile, error) {
	file, h, err := r.FormFile(name)
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return nil, nil
	}
	if err != nil {
		return nil, carillon.Invalid(name, "the file could not be read: choose it again")
	}
	return &formFile{File: file, header: h}, nil
}

// upload is the file as the service takes it, nil for none.
func (f *formFile) upload() *service.Upload {
	if f == nil {
		return nil
	}
	return &service.Upload{Body: f.File, Size: f.header.Size, ContentType: f.header.Header.Get("Content-Type"), Filename: f.header.Filename}
}
