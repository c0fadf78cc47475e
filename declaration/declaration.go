// Package declaration reads the declaration file of `carillon apply`: the
// YAML that declares an account's channels, users, teams, tags, custom
// fields, templates, funnels and statuses. It parses and checks the file
// without a store; the service applies what it returns.
package declaration

import (
	"fmt"
	"maps"
	"net/mail"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/carillon/carillon"
)

// Problem is one thing wrong with a declaration file, at a line.
type Problem struct {
	Line    int
	Message string
}

// Error refuses a declaration file whole; it lists every problem found,
// one "FILE:LINE: problem" per line.
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = fmt.Sprintf("%s:%d: %s", e.File, p.Line, p.Message)
	}
	return strings.Join(lines, "\n")
}

// Declaration is a parsed and checked declaration file, ready to apply.
type Declaration struct {
	File      string
	Channels  []*Channel
	Users     []*User
	Teams     []*Team
	Tags      []*Tag
	Fields    []*Field
	Templates []*Template
	Funnels   []*Funnel
	Statuses  []*Status
}

// Lines keeps the line of an entry and of each of its keys.
type Lines struct {
	Line int
	Keys map[string]int
}

// at returns the line of the field ("settings.mps" falls back to settings,
// then to the entry).
func (l Lines) At(field string) int {
	for field != "" {
		if n, ok := l.Keys[field]; ok {
			return n
		}
		i := strings.LastIndexByte(field, '.')
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return l.Line
}

// Channel is a declared channel and the lines of its keys.
type Channel struct {
	Lines
	Spec ChannelSpec
}

// User is a declared user. A declaration holds no password: a user sets
// theirs with a sign-in link, or an operator with carillon users passwd.
type User struct {
	Lines
	UUID, Email, Name string
	// Role is the user's console role; "" leaves an existing user's role
	// as it is, and makes a new user an agent.
	Role carillon.Role
}

// Team is a declared team; Members nil leaves its membership as it is.
type Team struct {
	Lines
	UUID, Name string
	Members    []string // nil: membership left as it is
	HasMembers bool
	MemberLine []int
}

// Tag is a declared tag.
type Tag struct {
	Lines
	Name string
}

// Field is a declared custom field.
type Field struct {
	Lines
	Name    string
	Type    carillon.FieldType
	Options []string
}

// Template is a declared template.
type Template struct {
	Lines
	UUID, Title, Channel, Text, Type, Category, Status, Language string
	Buttons                                                      []carillon.TemplateButton
}

// Funnel is a declared funnel.
type Funnel struct {
	Lines
	UUID, Name, Emoji string
	Position          int
}

// Status is a declared custom status.
type Status struct {
	Lines
	ID, Name, Emoji string
}

// parser reads a YAML node tree and collects problems.
type parser struct {
	providers *carillon.ProviderRegistry
	problems  []Problem
}

func (p *parser) addf(line int, format string, args ...any) {
	p.problems = append(p.problems, Problem{Line: line, Message: fmt.Sprintf(format, args...)})
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// mapping checks that n is a mapping of only the allowed keys and returns
// its values by key (null values left out) and the lines of its keys.
func (p *parser) mapping(n *yaml.Node, what string, allowed ...string) (map[string]*yaml.Node, Lines, bool) {
	l := Lines{Line: n.Line, Keys: map[string]int{}}
	if n.Kind != yaml.MappingNode {
		p.addf(n.Line, "%s must be a mapping", what)
		return nil, l, false
	}
	vals := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.addf(k.Line, "a key of %s must be a name", what)
			continue
		}
		if !contains(allowed, k.Value) {
			p.addf(k.Line, "unknown key %q in %s (known: %s)", k.Value, what, strings.Join(allowed, ", "))
			continue
		}
		if _, dup := l.Keys[k.Value]; dup {
			p.addf(k.Line, "key %q given twice in %s", k.Value, what)
			continue
		}
		l.Keys[k.Value] = k.Line
		if !isNull(v) {
			vals[k.Value] = v
		}
	}
	return vals, l, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sequence returns the items of a list.
func (p *parser) sequence(n *yaml.Node, what string) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		p.addf(n.Line, "%s must be a list", what)
		return nil
	}
	items := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		items[i] = deref(c)
	}
	return items
}

// str returns a text field; a required one that is missing or blank is a
// problem.
func (p *parser) str(m map[string]*yaml.Node, l Lines, key string, required bool) string {
	n, ok := m[key]
	if !ok {
		if required {
			p.addf(l.Line, "missing %s", key)
		}
		return ""
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		p.addf(n.Line, "%s must be a text", key)
		return ""
	}
	v := strings.TrimSpace(n.Value)
	if v == "" && required {
		p.addf(n.Line, "%s must not be empty", key)
	}
	if !carillon.ValidText(v) {
		p.addf(n.Line, "%s must be a text without NUL characters", key)
		return ""
	}
	return v
}

func (p *parser) boolean(m map[string]*yaml.Node, key string) bool {
	n, ok := m[key]
	if !ok {
		return false
	}
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		p.addf(n.Line, "%s must be true or false", key)
	}
	return b
}

func (p *parser) integer(m map[string]*yaml.Node, l Lines, key string) int {
	n, ok := m[key]
	if !ok {
		p.addf(l.Line, "missing %s", key)
		return 0
	}
	var v int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil {
		p.addf(n.Line, "%s must be a whole number", key)
		return 0
	}
	if v < 0 {
		p.addf(n.Line, "%s must be 0 or more", key)
	}
	return v
}

// texts returns a list of texts, with the line of each.
func (p *parser) texts(n *yaml.Node, what string) ([]string, []int) {
	var out []string
	var at []int
	for _, item := range p.sequence(n, what) {
		if item.Kind != yaml.ScalarNode || item.Tag != "!!str" || strings.TrimSpace(item.Value) == "" {
			p.addf(item.Line, "each of %s must be a non-empty text", what)
			continue
		}
		if !carillon.ValidText(item.Value) {
			p.addf(item.Line, "each of %s must be a text without NUL characters", what)
			continue
		}
		out = append(out, strings.TrimSpace(item.Value))
		at = append(at, item.Line)
	}
	return out, at
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse reads and checks a declaration file (the YAML of
// `carillon apply`) without looking at the store; its channels are checked
// by their providers' descriptions in providers. file names it in
// problems. A file with problems is refused with an *Error.
func Parse(file string, data []byte, providers *carillon.ProviderRegistry) (*Declaration, error) {
	d := &Declaration{File: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := 1, strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		return nil, &Error{File: file, Problems: []Problem{{Line: line, Message: "bad YAML: " + msg}}}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return d, nil // an empty file declares nothing
	}
	root := deref(doc.Content[0])
	if isNull(root) {
		return d, nil
	}
	p := &parser{providers: providers}
	top, _, ok := p.mapping(root, "the file", "channels", "users", "teams", "tags", "custom_fields", "templates", "funnels", "custom_statuses")
	if ok {
		if n, ok := top["channels"]; ok {
			d.Channels = p.channels(n)
		}
		if n, ok := top["users"]; ok {
			d.Users = p.users(n)
		}
		if n, ok := top["teams"]; ok {
			d.Teams = p.teams(n)
		}
		if n, ok := top["tags"]; ok {
			names, at := p.texts(n, "tags")
			seen := map[string]int{}
			for i, name := range names {
				key := strings.ToLower(name)
				if first, dup := seen[key]; dup {
					p.addf(at[i], "tag %q is given twice (line %d)", name, first)
					continue
				}
				seen[key] = at[i]
				d.Tags = append(d.Tags, &Tag{Lines: Lines{Line: at[i]}, Name: name})
			}
		}
		if n, ok := top["custom_fields"]; ok {
			d.Fields = p.fields(n)
		}
		if n, ok := top["templates"]; ok {
			d.Templates = p.templates(n)
		}
		if n, ok := top["funnels"]; ok {
			d.Funnels = p.funnels(n)
		}
		if n, ok := top["custom_statuses"]; ok {
			d.Statuses = p.statuses(n)
		}
	}
	if len(p.problems) > 0 {
		sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].Line < p.problems[j].Line })
		return nil, &Error{File: file, Problems: p.problems}
	}
	return d, nil
}

// unique reports an entry whose key an earlier entry already gave.
func (p *parser) unique(seen map[string]int, key string, line int, what string) bool {
	if key == "" {
		return true
	}
	if first, dup := seen[key]; dup {
		p.addf(line, "%s is given twice (line %d)", what, first)
		return false
	}
	seen[key] = line
	return true
}

func (p *parser) channels(n *yaml.Node) []*Channel {
	var out []*Channel
	titles, uuids := map[string]int{}, map[string]int{}
	for _, item := range p.sequence(n, "channels") {
		m, l, ok := p.mapping(item, "a channel", "uuid", "title", "type", "provider", "main", "discarded", "settings")
		if !ok {
			continue
		}
		c := &Channel{Lines: l}
		c.Spec.UUID = p.str(m, l, "uuid", false)
		c.Spec.Title = p.str(m, l, "title", true)
		c.Spec.Type = p.str(m, l, "type", true)
		c.Spec.Provider = p.str(m, l, "provider", true)
		c.Spec.Main = p.boolean(m, "main")
		c.Spec.Discarded = p.boolean(m, "discarded")
		c.Spec.Settings = map[string]string{}
		if s, ok := m["settings"]; ok {
			if s.Kind != yaml.MappingNode {
				p.addf(s.Line, "settings must be a mapping")
			}
			for i := 0; s.Kind == yaml.MappingNode && i+1 < len(s.Content); i += 2 {
				k, v := deref(s.Content[i]), deref(s.Content[i+1])
				c.Keys["settings."+k.Value] = k.Line
				if _, dup := c.Spec.Settings[k.Value]; dup {
					p.addf(k.Line, "setting %q given twice", k.Value)
					continue
				}
				if isNull(v) {
					c.Spec.Settings[k.Value] = ""
					continue
				}
				if v.Kind != yaml.ScalarNode || (v.Tag != "!!str" && v.Tag != "!!int") {
					p.addf(v.Line, "setting %s must be a text or a number", k.Value)
					continue
				}
				c.Spec.Settings[k.Value] = v.Value
			}
		}
		if c.Spec.Type != "" && c.Spec.Provider != "" {
			for _, pr := range CheckChannel(p.providers, &c.Spec) {
				if pr.Field == "title" && c.Spec.Title == "" {
					continue // already reported
				}
				p.addf(c.At(pr.Field), "channel %s: %s", c.Spec.Title, pr.Message)
			}
		}
		if p.unique(titles, c.Spec.Title, l.Line, fmt.Sprintf("channel %q", c.Spec.Title)) && p.unique(uuids, c.Spec.UUID, l.Line, fmt.Sprintf("channel uuid %q", c.Spec.UUID)) {
			out = append(out, c)
		}
	}
	return out
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

func (p *parser) users(n *yaml.Node) []*User {
	var out []*User
	emails, uuids := map[string]int{}, map[string]int{}
	for _, item := range p.sequence(n, "users") {
		item = p.withoutPassword(item)
		m, l, ok := p.mapping(item, "a user", "uuid", "email", "name", "role")
		if !ok {
			continue
		}
		u := &User{Lines: l}
		u.UUID = p.str(m, l, "uuid", false)
		u.Email = strings.ToLower(p.str(m, l, "email", true))
		u.Name = p.str(m, l, "name", true)
		if r := p.str(m, l, "role", false); r != "" {
			role, err := carillon.ParseRole(r)
			if err != nil {
				p.addf(l.At("role"), "role %q is not one of admin, agent, restricted_agent, settings_agent", r)
			}
			u.Role = role
		}
		if u.Email != "" && !validEmail(u.Email) {
			p.addf(l.At("email"), "%q is not an email address", u.Email)
		}
		if p.unique(emails, u.Email, l.Line, fmt.Sprintf("user %q", u.Email)) && p.unique(uuids, u.UUID, l.Line, fmt.Sprintf("user uuid %q", u.UUID)) {
			out = append(out, u)
		}
	}
	return out
}

// withoutPassword reports a password given to a user, which a declaration
// never holds (a file is kept and shared; a password must not be), and
// returns the entry without it.
func (p *parser) withoutPassword(n *yaml.Node) *yaml.Node {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return n
	}
	out := *n
	out.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := deref(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == "password" {
			p.addf(k.Line, "a declaration holds no password: a user sets theirs with a sign-in link, or run carillon users passwd EMAIL")
			continue
		}
		out.Content = append(out.Content, n.Content[i], n.Content[i+1])
	}
	return &out
}

func (p *parser) teams(n *yaml.Node) []*Team {
	var out []*Team
	names, uuids := map[string]int{}, map[string]int{}
	for _, item := range p.sequence(n, "teams") {
		m, l, ok := p.mapping(item, "a team", "uuid", "name", "members")
		if !ok {
			continue
		}
		t := &Team{Lines: l}
		t.UUID = p.str(m, l, "uuid", false)
		t.Name = p.str(m, l, "name", true)
		if mn, ok := m["members"]; ok {
			t.HasMembers = true
			emails, at := p.texts(mn, "members")
			seen := map[string]int{}
			for i, e := range emails {
				e = strings.ToLower(e)
				if p.unique(seen, e, at[i], fmt.Sprintf("member %q", e)) {
					t.Members = append(t.Members, e)
					t.MemberLine = append(t.MemberLine, at[i])
				}
			}
		} else if _, given := l.Keys["members"]; given {
			t.HasMembers = true // members: (null) is no member
		}
		if p.unique(names, t.Name, l.Line, fmt.Sprintf("team %q", t.Name)) && p.unique(uuids, t.UUID, l.Line, fmt.Sprintf("team uuid %q", t.UUID)) {
			out = append(out, t)
		}
	}
	return out
}

var fieldTypes = []string{"text", "email", "number", "date", "dropdown", "checkbox"}

func (p *parser) fields(n *yaml.Node) []*Field {
	var out []*Field
	names := map[string]int{}
	for _, item := range p.sequence(n, "custom_fields") {
		m, l, ok := p.mapping(item, "a custom field", "name", "type", "options")
		if !ok {
			continue
		}
		f := &Field{Lines: l}
		f.Name = p.str(m, l, "name", true)
		typ := p.str(m, l, "type", true)
		f.Type = carillon.FieldType(typ)
		if typ != "" && !contains(fieldTypes, typ) {
			p.addf(l.At("type"), "custom field type %q is not one of %s", typ, strings.Join(fieldTypes, ", "))
		}
		opts, hasOpts := m["options"]
		if hasOpts {
			var at []int
			f.Options, at = p.texts(opts, "options")
			seen := map[string]int{}
			for i, o := range f.Options {
				p.unique(seen, o, at[i], fmt.Sprintf("option %q", o))
			}
		}
		switch f.Type {
		case carillon.FieldDropdown, carillon.FieldCheckbox:
			if len(f.Options) == 0 && (!hasOpts || opts.Kind == yaml.SequenceNode) {
				p.addf(l.At("options"), "custom field %s: a %s field needs options", f.Name, typ)
			}
		default:
			if _, given := l.Keys["options"]; given && contains(fieldTypes, typ) {
				p.addf(l.At("options"), "custom field %s: a %s field takes no options", f.Name, typ)
			}
		}
		if p.unique(names, f.Name, l.Line, fmt.Sprintf("custom field %q", f.Name)) {
			out = append(out, f)
		}
	}
	return out
}

// Placeholder is a placeholder of a template's text, {{N}} as written:
// a declared text is checked with it, and a send fills it.
var Placeholder = regexp.MustCompile(`\{\{([^{}]*)\}\}`)

var (
	templateTypes      = []string{"text", "image", "video", "document"}
	templateCategories = []string{"MARKETING", "UTILITY", "AUTHENTICATION"}
	templateStatuses   = []string{"approved", "pending", "rejected", "paused", "disabled", "deleted"}
	languageCode       = regexp.MustCompile(`^[a-z]{2,3}(_[A-Za-z]{2,4})?$`)
)

// TemplateChoices are the values a declared template's keys may take: what
// a form that declares a template offers.
type TemplateChoices struct {
	Types, Categories, Statuses, ButtonTypes, OTPTypes []string
}

// Choices returns the values a declared template's keys may take, each
// list in the order a form offers them (the default first where there
// is one).
func Choices() TemplateChoices {
	return TemplateChoices{Types: slices.Clone(templateTypes), Categories: slices.Clone(templateCategories),
		Statuses: slices.Clone(templateStatuses), ButtonTypes: slices.Clone(buttonTypes), OTPTypes: slices.Clone(otpTypes)}
}

// checkTemplateText returns what is wrong with a template's placeholders:
// each is {{N}}, and they are numbered 1, 2… without a gap.
func checkTemplateText(text string) string {
	max, seen := 0, map[int]bool{}
	for _, m := range Placeholder.FindAllStringSubmatch(text, -1) {
		inner := strings.TrimSpace(m[1])
		if inner == "" {
			return fmt.Sprintf("placeholder %s is empty: write {{1}}, {{2}}…", m[0])
		}
		n, err := strconv.Atoi(inner)
		if err != nil || n < 1 {
			return fmt.Sprintf("placeholder %s is not a number from 1: write {{1}}, {{2}}…", m[0])
		}
		seen[n] = true
		max = maxInt(max, n)
	}
	for i := 1; i <= max; i++ {
		if !seen[i] {
			return fmt.Sprintf("placeholder {{%d}} is missing before {{%d}}", i, max)
		}
	}
	return ""
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func (p *parser) templates(n *yaml.Node) []*Template {
	var out []*Template
	keys, uuids := map[string]int{}, map[string]int{}
	for _, item := range p.sequence(n, "templates") {
		m, l, ok := p.mapping(item, "a template", "uuid", "title", "channel", "text", "type", "category", "status", "language", "buttons")
		if !ok {
			continue
		}
		t := &Template{Lines: l}
		t.UUID = p.str(m, l, "uuid", false)
		t.Title = p.str(m, l, "title", true)
		t.Channel = p.str(m, l, "channel", true)
		t.Text = p.str(m, l, "text", true)
		t.Type = p.str(m, l, "type", false)
		t.Category = p.str(m, l, "category", true)
		t.Status = p.str(m, l, "status", false)
		t.Language = p.str(m, l, "language", false)
		if t.Type == "" {
			t.Type = "text"
		}
		if t.Status == "" {
			t.Status = "approved"
		}
		if t.Language == "" {
			t.Language = "en"
		}
		if n, ok := m["buttons"]; ok {
			t.Buttons = p.buttons(n, t.Title, t.Category)
		}
		if msg := checkTemplateText(t.Text); msg != "" {
			p.addf(l.At("text"), "template %s: %s", t.Title, msg)
		}
		if !contains(templateTypes, t.Type) {
			p.addf(l.At("type"), "template %s: type %q is not one of %s", t.Title, t.Type, strings.Join(templateTypes, ", "))
		}
		if t.Category != "" && !contains(templateCategories, t.Category) {
			p.addf(l.At("category"), "template %s: category %q is not one of %s", t.Title, t.Category, strings.Join(templateCategories, ", "))
		}
		if !contains(templateStatuses, t.Status) {
			p.addf(l.At("status"), "template %s: status %q is not one of %s", t.Title, t.Status, strings.Join(templateStatuses, ", "))
		}
		if !languageCode.MatchString(t.Language) {
			p.addf(l.At("language"), "template %s: language %q is not a language code (en, pt_BR…)", t.Title, t.Language)
		}
		key := t.Channel + "\x00" + t.Title + "\x00" + t.Language
		if p.unique(keys, key, l.Line, fmt.Sprintf("template %q of channel %q in %s", t.Title, t.Channel, t.Language)) && p.unique(uuids, t.UUID, l.Line, fmt.Sprintf("template uuid %q", t.UUID)) {
			out = append(out, t)
		}
	}
	return out
}

// buttonTypes are the kinds of template button a declaration may use.
var (
	buttonTypes = []string{carillon.ButtonQuickReply, carillon.ButtonURL, carillon.ButtonPhoneNumber, carillon.ButtonCopyCode, carillon.ButtonOTP}
	otpTypes    = []string{"copy_code", "one_tap", "zero_tap"}
	// dynamicURL is a url button's address whose end each send gives.
	dynamicURL = regexp.MustCompile(`^[^{}]*\{\{1\}\}$`)
)

// The limits WhatsApp sets on template buttons.
const (
	maxTemplateButtons = 10
	maxButtonText      = 25
)

// buttons reads the buttons of template title (of category), checked as
// WhatsApp checks them when a template is submitted.
func (p *parser) buttons(n *yaml.Node, title, category string) []carillon.TemplateButton {
	items := p.sequence(n, "buttons")
	if len(items) > maxTemplateButtons {
		p.addf(n.Line, "template %s: at most %d buttons, not %d", title, maxTemplateButtons, len(items))
	}
	var out []carillon.TemplateButton
	otps := 0
	for i, item := range items {
		m, l, ok := p.mapping(item, "a button", "type", "text", "url", "phone_number", "otp_type")
		if !ok {
			continue
		}
		what := fmt.Sprintf("template %s: button %d", title, i+1)
		b := carillon.TemplateButton{
			Type: p.str(m, l, "type", true), Text: p.str(m, l, "text", false), URL: p.str(m, l, "url", false),
			PhoneNumber: p.str(m, l, "phone_number", false), OTPType: p.str(m, l, "otp_type", false),
		}
		if b.Type == "" {
			continue // reported as missing
		}
		if !contains(buttonTypes, b.Type) {
			p.addf(l.At("type"), "%s: type %q is not one of %s", what, b.Type, strings.Join(buttonTypes, ", "))
			continue
		}
		// Each kind takes its own keys only.
		takes := map[string]bool{"type": true, "text": true}
		switch b.Type {
		case carillon.ButtonQuickReply:
			if b.Text == "" {
				p.addf(l.Line, "%s: a quick_reply button needs text", what)
			}
		case carillon.ButtonURL:
			takes["url"] = true
			if b.Text == "" {
				p.addf(l.Line, "%s: a url button needs text", what)
			}
			fixed := strings.Replace(b.URL, "{{1}}", "x", 1)
			switch {
			case b.URL == "":
				p.addf(l.Line, "%s: a url button needs url", what)
			case !carillon.ValidMediaURL(fixed):
				p.addf(l.At("url"), "%s: url %q must be an absolute http(s) URL", what, b.URL)
			case strings.ContainsAny(b.URL, "{}") && !dynamicURL.MatchString(b.URL):
				p.addf(l.At("url"), "%s: url %q may have one placeholder, {{1}}, at its end", what, b.URL)
			}
		case carillon.ButtonPhoneNumber:
			takes["phone_number"] = true
			if b.Text == "" {
				p.addf(l.Line, "%s: a phone_number button needs text", what)
			}
			if b.PhoneNumber == "" {
				p.addf(l.Line, "%s: a phone_number button needs phone_number", what)
			}
		case carillon.ButtonOTP:
			takes["otp_type"] = true
			otps++
			if b.OTPType == "" {
				b.OTPType = "copy_code"
			}
			if !contains(otpTypes, b.OTPType) {
				p.addf(l.At("otp_type"), "%s: otp_type %q is not one of %s", what, b.OTPType, strings.Join(otpTypes, ", "))
			}
			if category != "AUTHENTICATION" {
				p.addf(l.At("type"), "%s: an otp button belongs to an AUTHENTICATION template", what)
			}
		}
		for _, key := range slices.Sorted(maps.Keys(l.Keys)) {
			if !takes[key] {
				p.addf(l.At(key), "%s: a %s button takes no %s", what, b.Type, key)
			}
		}
		if utf8.RuneCountInString(b.Text) > maxButtonText {
			p.addf(l.At("text"), "%s: text has at most %d characters", what, maxButtonText)
		}
		out = append(out, b)
	}
	if otps > 1 {
		p.addf(n.Line, "template %s: at most one otp button", title)
	}
	return out
}

func (p *parser) funnels(n *yaml.Node) []*Funnel {
	var out []*Funnel
	names, uuids := map[string]int{}, map[string]int{}
	for _, item := range p.sequence(n, "funnels") {
		m, l, ok := p.mapping(item, "a funnel", "uuid", "name", "emoji", "position")
		if !ok {
			continue
		}
		f := &Funnel{Lines: l}
		f.UUID = p.str(m, l, "uuid", false)
		f.Name = p.str(m, l, "name", true)
		f.Emoji = p.str(m, l, "emoji", false)
		f.Position = p.integer(m, l, "position")
		if p.unique(names, f.Name, l.Line, fmt.Sprintf("funnel %q", f.Name)) && p.unique(uuids, f.UUID, l.Line, fmt.Sprintf("funnel uuid %q", f.UUID)) {
			out = append(out, f)
		}
	}
	return out
}

func (p *parser) statuses(n *yaml.Node) []*Status {
	var out []*Status
	names, ids := map[string]int{}, map[string]int{}
	for _, item := range p.sequence(n, "custom_statuses") {
		m, l, ok := p.mapping(item, "a custom status", "id", "name", "emoji")
		if !ok {
			continue
		}
		s := &Status{Lines: l}
		s.ID = p.str(m, l, "id", false)
		s.Name = p.str(m, l, "name", true)
		s.Emoji = p.str(m, l, "emoji", false)
		if p.unique(names, s.Name, l.Line, fmt.Sprintf("custom status %q", s.Name)) && p.unique(ids, s.ID, l.Line, fmt.Sprintf("custom status id %q", s.ID)) {
			out = append(out, s)
		}
	}
	return out
}
