package console

import "github.com/carillon/carillon"

// section is a group of the console's pages that the same roles may open.
// Every page names its section in routes; sectionsOf says which sections
// each role opens. A page outside its user's sections answers 403.
type section string

const (
	// sectionAny pages are every signed-in user's: signing out, the
	// answer to an unknown page.
	sectionAny section = "any"
	// sectionHome is the home page.
	sectionHome section = "home"
	// sectionConversations are contacts, conversations and the messages
	// log (of the chats the user may see).
	sectionConversations section = "conversations"
	// sectionSettings are the account's catalogues: tags, custom fields,
	// funnels, custom statuses, templates and teams.
	sectionSettings section = "settings"
	// sectionAdmin are API keys, the webhook, channels, users and roles.
	sectionAdmin section = "admin"
)

// sectionsOf is the one table of who opens what.
var sectionsOf = map[carillon.Role][]section{
	carillon.RoleAdmin:           {sectionAny, sectionHome, sectionConversations, sectionSettings, sectionAdmin},
	carillon.RoleSettingsAgent:   {sectionAny, sectionHome, sectionConversations, sectionSettings},
	carillon.RoleAgent:           {sectionAny, sectionHome, sectionConversations},
	carillon.RoleRestrictedAgent: {sectionAny, sectionHome, sectionConversations},
}

// mayOpen reports whether a user of role r may open the pages of sec. An
// unknown role opens nothing.
func mayOpen(r carillon.Role, sec section) bool {
	for _, s := range sectionsOf[r] {
		if s == sec {
			return true
		}
	}
	return false
}

// navItem is a link of the layout's navigation.
type navItem struct {
	Label, Path string
	section     section
}

// navigation lists the pages the layout links to, in order; each user
// sees the ones of their sections.
var navigation = []navItem{
	{"Inbox", "/inbox", sectionConversations},
	{"Home", "/", sectionHome},
	{"Messages", "/messages", sectionConversations},
	{"Search", "/search", sectionConversations},
	{"Sandbox", "/sandbox", sectionSettings},
	{"API keys", "/settings/api-keys", sectionAdmin},
	{"Channels", "/settings/channels", sectionAdmin},
	{"Settings", "/settings/teams", sectionSettings},
	{"Webhook", "/settings/webhook", sectionAdmin},
	{"Users", "/settings/users", sectionAdmin},
	{"Your account", "/account", sectionAny},
}

// navFor is the navigation a user of role r sees.
func navFor(r carillon.Role) []navItem {
	var out []navItem
	for _, n := range navigation {
		if mayOpen(r, n.section) {
			out = append(out, n)
		}
	}
	return out
}
