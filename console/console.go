// Package console serves carillon's web console: the pages people sign in
// to, rendered on the server with html/template from the templates and
// assets embedded in the binary. It is an adapter like httpapi, beside it:
// its handlers call the service's features through the small interfaces
// declared here, and hold no rules and no SQL.
//
// Every page is a route in routes (console.go), with the section of the
// console it belongs to; the section decides which roles may open it
// (roles.go). A handler returns its error, and one place (fail) answers it
// with an error page.
//
// A page is added in four places:
//   - a file named after it (keys.go): its handler, a pageHandler that
//     reads through the features' interfaces (declared above, one method
//     per call it makes) and calls s.render with its data, or returns an
//     error; a form re-renders its page with the problem (422) when the
//     service says a field is invalid, and redirects (303) when done;
//   - its route in routes, with its section;
//   - its template, templates/<name>.html, which defines "title" and
//     "content" and fills the layout (no inline script or style: the
//     policy refuses them; every form carries {{.CSRF}} in a field csrf);
//     and, for a page of the navigation, its line in navigation (roles.go);
//   - its browser test (*_browser_test.go): open it in a tab of its own
//     and call tb.check("<name>"), which checks the console's errors,
//     the policy's violations and axe-core, and keeps its screenshots.
package console

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

//go:embed templates assets
var files embed.FS

// people are the users, their sign-in and their sessions. *service.People
// is one.
type people interface {
	SignIn(ctx context.Context, email, password string, c service.SignInClient) (token string, s carillon.Session, u carillon.User, err error)
	Session(ctx context.Context, token string) (carillon.Session, carillon.User, error)
	SignOut(ctx context.Context, token string) error
	SignOutEverywhere(ctx context.Context, accountID, userID int64) error
	SignInLink(ctx context.Context, token string) (carillon.SignInLink, carillon.User, error)
	UseSignInLink(ctx context.Context, token, email, name, password string, c service.SignInClient) (sessionToken string, s carillon.Session, u carillon.User, err error)
}

// accounts are the account's figures and its API keys. *service.Accounts
// is one.
type accounts interface {
	AccountOf(ctx context.Context, id int64) (carillon.Account, error)
	Overview(ctx context.Context, accountID int64) (service.Overview, error)
	CreateKey(ctx context.Context, accountID int64, name, userEmail string) (string, carillon.APIKey, error)
	ListKeys(ctx context.Context, accountID int64) ([]carillon.APIKey, error)
	RevokeKey(ctx context.Context, accountID int64, nameOrPrefix string) (carillon.APIKey, error)
}

// contacts are the account's contacts and their conversations, as much of
// them as the viewer may see, and the changes the inbox makes to them (the
// API's calls). *service.Contacts is one.
type contacts interface {
	ViewerOf(ctx context.Context, p service.Principal, u carillon.User) (service.Viewer, error)
	ConversationFor(ctx context.Context, p service.Principal, v service.Viewer, conversationUUID string) (service.ContactView, error)
	UpdateContact(ctx context.Context, p service.Principal, uuid string, u service.ContactUpdate) (service.ContactView, error)
	CloseConversation(ctx context.Context, p service.Principal, uuid, reason string) (service.ContactView, error)
	OpenConversation(ctx context.Context, p service.Principal, uuid string) (service.ContactView, error)
	UpdateFunnel(ctx context.Context, p service.Principal, uuid, funnelID string) (service.ContactView, error)
	AddNote(ctx context.Context, p service.Principal, uuid, text string) (carillon.Message, error)
	SetContactBot(ctx context.Context, p service.Principal, uuid, status string) (service.Bot, error)
}

// Options configure the console.
type Options struct {
	People     people
	Accounts   accounts
	Contacts   contacts
	Inbox      inbox
	Messages   messages
	Webhooks   webhooks
	Users      users
	Channels   channels
	Networks   networks
	Catalogues catalogues
	// Live is the live inbox; nil leaves the pages as they were read.
	Live live
	// PublicURL is where people reach the server; an https one makes the
	// session cookie Secure.
	PublicURL string
	Logger    *slog.Logger
}

// Server is the web console, an http.Handler.
type Server struct {
	people     people
	accounts   accounts
	contacts   contacts
	inbox      inbox
	messages   messages
	webhooks   webhooks
	users      users
	channels   channels
	networks   networks
	catalogues catalogues
	live       live
	publicURL  string
	log        *slog.Logger
	secure     bool
	mux        *http.ServeMux
}

// New returns the console.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{people: o.People, accounts: o.Accounts, contacts: o.Contacts, inbox: o.Inbox, messages: o.Messages, webhooks: o.Webhooks, users: o.Users,
		channels: o.Channels, networks: o.Networks, catalogues: o.Catalogues, live: o.Live, publicURL: o.PublicURL, log: o.Logger,
		secure: strings.HasPrefix(o.PublicURL, "https://"), mux: http.NewServeMux()}
	s.routes()
	return s
}

// routes lists every page of the console, with the section it belongs to
// (which decides the roles that may open it, roles.go).
func (s *Server) routes() {
	assets, _ := fs.Sub(files, "assets")
	s.mux.Handle("GET /assets/", http.StripPrefix("/assets/", assetHandler(assets)))

	s.public("GET /sign-in", s.signInPage)
	s.public("POST /sign-in", s.signIn)
	s.public("GET /welcome/{token}", s.welcomePage)
	s.public("POST /welcome/{token}", s.welcome)

	s.page("POST /sign-out", sectionAny, s.signOut)
	s.page("POST /sign-out-everywhere", sectionAny, s.signOutEverywhere)
	s.page("GET /{$}", sectionHome, s.home)
	s.page("GET /inbox", sectionConversations, s.inboxPage)
	s.page("GET /contacts/{uuid}", sectionConversations, s.contactPage)
	s.page("GET /chat/{uuid}", sectionConversations, s.chatPage)
	s.upload("POST /chat/{uuid}/messages", sectionConversations, s.sendReply)
	s.page("POST /chat/{uuid}/messages/{message}/retry", sectionConversations, s.retryMessage)
	s.page("POST /chat/{uuid}/take", sectionConversations, s.chatAction("take", s.takeChat))
	s.page("POST /chat/{uuid}/assign", sectionConversations, s.chatAction("assign", s.assignChat))
	s.page("POST /chat/{uuid}/team", sectionConversations, s.chatAction("team", s.moveChatToTeam))
	s.page("POST /chat/{uuid}/close", sectionConversations, s.chatAction("close", s.closeChat))
	s.page("POST /chat/{uuid}/reopen", sectionConversations, s.chatAction("reopen", s.reopenChat))
	s.page("POST /chat/{uuid}/funnel", sectionConversations, s.chatAction("funnel", s.moveChatFunnel))
	s.page("POST /chat/{uuid}/tags", sectionConversations, s.chatAction("tags", s.addChatTag))
	s.page("POST /chat/{uuid}/tags/remove", sectionConversations, s.chatAction("tags", s.removeChatTag))
	s.page("POST /chat/{uuid}/fields", sectionConversations, s.chatAction("fields", s.setChatFields))
	s.page("POST /chat/{uuid}/notes", sectionConversations, s.chatAction("notes", s.addChatNote))
	s.page("POST /chat/{uuid}/bot", sectionConversations, s.chatAction("bot", s.setChatBot))
	s.page("GET /messages", sectionConversations, s.messagesPage)
	s.page("GET /messages/{uuid}", sectionConversations, s.messagePage)
	s.page("GET /search", sectionConversations, s.searchPage)
	if s.live != nil {
		s.page("GET /inbox/events", sectionConversations, s.liveEvents)
		s.page("POST /inbox/presence", sectionConversations, s.setPresence)
	}
	s.page("GET /sandbox", sectionSettings, s.sandboxPage)
	s.page("POST /sandbox", sectionSettings, s.sandboxInbound)
	s.page("GET /settings/api-keys", sectionAdmin, s.keysPage)
	s.page("POST /settings/api-keys", sectionAdmin, s.createKey)
	s.page("POST /settings/api-keys/revoke", sectionAdmin, s.revokeKey)
	s.page("GET /settings/webhook", sectionAdmin, s.webhookPage)
	s.page("POST /settings/webhook", sectionAdmin, s.saveWebhook)
	s.page("POST /settings/webhook/unsubscribe", sectionAdmin, s.unsubscribeWebhook)
	s.page("POST /settings/webhook/rotate", sectionAdmin, s.rotateWebhookSecret)
	s.page("POST /settings/webhook/test", sectionAdmin, s.sendTestEvent)
	s.page("GET /settings/webhook/events", sectionAdmin, s.webhookLogPage)
	s.page("POST /settings/webhook/events/resend-failed", sectionAdmin, s.resendFailed)
	s.page("GET /settings/webhook/events/{id}", sectionAdmin, s.webhookEventPage)
	s.page("POST /settings/webhook/events/{id}/resend", sectionAdmin, s.resendEvent)
	s.page("GET /settings/users", sectionAdmin, s.usersPage)
	s.page("POST /settings/users", sectionAdmin, s.invite)
	s.page("POST /settings/users/role", sectionAdmin, s.setRole)
	s.page("POST /settings/users/link", sectionAdmin, s.newLink)
	s.page("GET /account", sectionAny, s.accountPage)
	s.page("POST /account/sessions/end", sectionAny, s.endSession)
	s.page("POST /account/password", sectionAny, s.changePassword)
	s.page("GET /settings/channels", sectionAdmin, s.channelsPage)
	s.page("GET /settings/channels/new", sectionAdmin, s.newChannelPage)
	s.page("POST /settings/channels/new", sectionAdmin, s.saveChannel)
	s.page("GET /settings/channels/{uuid}", sectionAdmin, s.channelPage)
	s.page("POST /settings/channels/{uuid}", sectionAdmin, s.saveChannel)
	s.page("GET /settings/teams", sectionSettings, s.teamsPage)
	s.page("POST /settings/teams", sectionSettings, s.createTeam)
	s.page("GET /settings/teams/{uuid}", sectionSettings, s.teamPage)
	s.page("POST /settings/teams/{uuid}", sectionSettings, s.renameTeam)
	s.page("POST /settings/teams/{uuid}/members", sectionSettings, s.addTeamMember)
	s.page("POST /settings/teams/{uuid}/members/remove", sectionSettings, s.removeTeamMember)
	s.page("GET /settings/tags", sectionSettings, s.tagsPage)
	s.page("POST /settings/tags", sectionSettings, s.createTag)
	s.page("POST /settings/tags/delete", sectionSettings, s.deleteTag)
	s.page("GET /settings/fields", sectionSettings, s.fieldsPage)
	s.page("POST /settings/fields", sectionSettings, s.declareField)
	s.page("GET /settings/funnels", sectionSettings, s.funnelsPage)
	s.page("POST /settings/funnels", sectionSettings, s.declareFunnel)
	s.page("GET /settings/statuses", sectionSettings, s.statusesPage)
	s.page("POST /settings/statuses", sectionSettings, s.saveStatus)
	s.page("POST /settings/statuses/delete", sectionSettings, s.deleteStatus)
	s.page("GET /settings/templates", sectionSettings, s.templatesPage)
	s.page("POST /settings/templates/sync", sectionSettings, s.syncTemplates)
	s.page("POST /settings/templates", sectionSettings, s.declareTemplate)

	s.mux.Handle("/", s.signedIn(sectionAny, func(w http.ResponseWriter, r *http.Request, v *visit) error {
		return carillon.NotFound("page " + r.URL.Path)
	}))
}

// ServeHTTP serves the console, with its security headers on every answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	s.mux.ServeHTTP(w, r)
}

// contentSecurityPolicy allows the console's own scripts, styles, images
// and media (the inbound files the server keeps, which a conversation
// plays) only: no inline script or style, no frame around it, forms posted
// to itself alone, and its scripts' requests (the live inbox's stream and
// pages read again: live.js, refresh.js) to itself alone.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// assetHandler serves the embedded assets. They change only with the
// binary, so a browser may keep them for an hour.
func assetHandler(assets fs.FS) http.Handler {
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
