package service

import (
	"context"
	"errors"
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

// ApplyProblem is one thing wrong with a declaration file, at a line.
type ApplyProblem struct {
	Line    int
	Message string
}

// ApplyError refuses a declaration file whole; it lists every problem found,
// one "FILE:LINE: problem" per line.
type ApplyError struct {
	File     string
	Problems []ApplyProblem
}

func (e *ApplyError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = fmt.Sprintf("%s:%d: %s", e.File, p.Line, p.Message)
	}
	return strings.Join(lines, "\n")
}

// Declaration is a parsed and checked declaration file, ready to apply.
type Declaration struct {
	file      string
	channels  []*channelDecl
	users     []*userDecl
	teams     []*teamDecl
	tags      []*tagDecl
	fields    []*fieldDecl
	templates []*templateDecl
	funnels   []*funnelDecl
	statuses  []*statusDecl
}

// lines keeps the line of an entry and of each of its keys.
type lines struct {
	line int
	keys map[string]int
}

// at returns the line of the field ("settings.mps" falls back to settings,
// then to the entry).
func (l lines) at(field string) int {
	for field != "" {
		if n, ok := l.keys[field]; ok {
			return n
		}
		i := strings.LastIndexByte(field, '.')
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return l.line
}

type channelDecl struct {
	lines
	spec ChannelSpec
}

type userDecl struct {
	lines
	uuid, email, name string
}

type teamDecl struct {
	lines
	uuid, name string
	members    []string // nil: membership left as it is
	hasMembers bool
	memberLine []int
}

type tagDecl struct {
	lines
	name string
}

type fieldDecl struct {
	lines
	name    string
	typ     carillon.FieldType
	options []string
}

type templateDecl struct {
	lines
	uuid, title, channel, text, typ, category, status, language string
	buttons                                                     []carillon.TemplateButton
}

type funnelDecl struct {
	lines
	uuid, name, emoji string
	position          int
}

type statusDecl struct {
	lines
	id, name, emoji string
}

// parser reads a YAML node tree and collects problems.
type parser struct {
	providers *carillon.ProviderRegistry
	problems  []ApplyProblem
}

func (p *parser) addf(line int, format string, args ...any) {
	p.problems = append(p.problems, ApplyProblem{Line: line, Message: fmt.Sprintf(format, args...)})
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
func (p *parser) mapping(n *yaml.Node, what string, allowed ...string) (map[string]*yaml.Node, lines, bool) {
	l := lines{line: n.Line, keys: map[string]int{}}
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
		if _, dup := l.keys[k.Value]; dup {
			p.addf(k.Line, "key %q given twice in %s", k.Value, what)
			continue
		}
		l.keys[k.Value] = k.Line
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
func (p *parser) str(m map[string]*yaml.Node, l lines, key string, required bool) string {
	n, ok := m[key]
	if !ok {
		if required {
			p.addf(l.line, "missing %s", key)
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

func (p *parser) integer(m map[string]*yaml.Node, l lines, key string) int {
	n, ok := m[key]
	if !ok {
		p.addf(l.line, "missing %s", key)
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
		out = append(out, strings.TrimSpace(item.Value))
		at = append(at, item.Line)
	}
	return out, at
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// ParseDeclaration reads and checks a declaration file (the YAML of
// `carillon apply`) without looking at the store; its channels are checked
// by their providers' descriptions in providers. file names it in
// problems. A file with problems is refused with an *ApplyError.
func ParseDeclaration(file string, data []byte, providers *carillon.ProviderRegistry) (*Declaration, error) {
	d := &Declaration{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := 1, strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		return nil, &ApplyError{File: file, Problems: []ApplyProblem{{Line: line, Message: "bad YAML: " + msg}}}
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
			d.channels = p.channels(n)
		}
		if n, ok := top["users"]; ok {
			d.users = p.users(n)
		}
		if n, ok := top["teams"]; ok {
			d.teams = p.teams(n)
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
				d.tags = append(d.tags, &tagDecl{lines: lines{line: at[i]}, name: name})
			}
		}
		if n, ok := top["custom_fields"]; ok {
			d.fields = p.fields(n)
		}
		if n, ok := top["templates"]; ok {
			d.templates = p.templates(n)
		}
		if n, ok := top["funnels"]; ok {
			d.funnels = p.funnels(n)
		}
		if n, ok := top["custom_statuses"]; ok {
			d.statuses = p.statuses(n)
		}
	}
	if len(p.problems) > 0 {
		sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].Line < p.problems[j].Line })
		return nil, &ApplyError{File: file, Problems: p.problems}
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

func (p *parser) channels(n *yaml.Node) []*channelDecl {
	var out []*channelDecl
	titles, uuids := map[string]int{}, map[string]int{}
	for _, item := range p.sequence(n, "channels") {
		m, l, ok := p.mapping(item, "a channel", "uuid", "title", "type", "provider", "main", "discarded", "settings")
		if !ok {
			continue
		}
		c := &channelDecl{lines: l}
		c.spec.UUID = p.str(m, l, "uuid", false)
		c.spec.Title = p.str(m, l, "title", true)
		c.spec.Type = p.str(m, l, "type", true)
		c.spec.Provider = p.str(m, l, "provider", true)
		c.spec.Main = p.boolean(m, "main")
		c.spec.Discarded = p.boolean(m, "discarded")
		c.spec.Settings = map[string]string{}
		if s, ok := m["settings"]; ok {
			if s.Kind != yaml.MappingNode {
				p.addf(s.Line, "settings must be a mapping")
			}
			for i := 0; s.Kind == yaml.MappingNode && i+1 < len(s.Content); i += 2 {
				k, v := deref(s.Content[i]), deref(s.Content[i+1])
				c.keys["settings."+k.Value] = k.Line
				if _, dup := c.spec.Settings[k.Value]; dup {
					p.addf(k.Line, "setting %q given twice", k.Value)
					continue
				}
				if isNull(v) {
					c.spec.Settings[k.Value] = ""
					continue
				}
				if v.Kind != yaml.ScalarNode || (v.Tag != "!!str" && v.Tag != "!!int") {
					p.addf(v.Line, "setting %s must be a text or a number", k.Value)
					continue
				}
				c.spec.Settings[k.Value] = v.Value
			}
		}
		if c.spec.Type != "" && c.spec.Provider != "" {
			for _, pr := range CheckChannel(p.providers, &c.spec) {
				if pr.Field == "title" && c.spec.Title == "" {
					continue // already reported
				}
				p.addf(c.at(pr.Field), "channel %s: %s", c.spec.Title, pr.Message)
			}
		}
		if p.unique(titles, c.spec.Title, l.line, fmt.Sprintf("channel %q", c.spec.Title)) && p.unique(uuids, c.spec.UUID, l.line, fmt.Sprintf("channel uuid %q", c.spec.UUID)) {
			out = append(out, c)
		}
	}
	return out
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

func (p *parser) users(n *yaml.Node) []*userDecl {
	var out []*userDecl
	emails, uuids := map[string]int{}, map[string]int{}
	for _, item := range p.sequence(n, "users") {
		m, l, ok := p.mapping(item, "a user", "uuid", "email", "name")
		if !ok {
			continue
		}
		u := &userDecl{lines: l}
		u.uuid = p.str(m, l, "uuid", false)
		u.email = strings.ToLower(p.str(m, l, "email", true))
		u.name = p.str(m, l, "name", true)
		if u.email != "" && !validEmail(u.email) {
			p.addf(l.at("email"), "%q is not an email address", u.email)
		}
		if p.unique(emails, u.email, l.line, fmt.Sprintf("user %q", u.email)) && p.unique(uuids, u.uuid, l.line, fmt.Sprintf("user uuid %q", u.uuid)) {
			out = append(out, u)
		}
	}
	return out
}

func (p *parser) teams(n *yaml.Node) []*teamDecl {
	var out []*teamDecl
	names, uuids := map[string]int{}, map[string]int{}
	for _, item := range p.sequence(n, "teams") {
		m, l, ok := p.mapping(item, "a team", "uuid", "name", "members")
		if !ok {
			continue
		}
		t := &teamDecl{lines: l}
		t.uuid = p.str(m, l, "uuid", false)
		t.name = p.str(m, l, "name", true)
		if mn, ok := m["members"]; ok {
			t.hasMembers = true
			emails, at := p.texts(mn, "members")
			seen := map[string]int{}
			for i, e := range emails {
				e = strings.ToLower(e)
				if p.unique(seen, e, at[i], fmt.Sprintf("member %q", e)) {
					t.members = append(t.members, e)
					t.memberLine = append(t.memberLine, at[i])
				}
			}
		} else if _, given := l.keys["members"]; given {
			t.hasMembers = true // members: (null) is no member
		}
		if p.unique(names, t.name, l.line, fmt.Sprintf("team %q", t.name)) && p.unique(uuids, t.uuid, l.line, fmt.Sprintf("team uuid %q", t.uuid)) {
			out = append(out, t)
		}
	}
	return out
}

var fieldTypes = []string{"text", "email", "number", "date", "dropdown", "checkbox"}

func (p *parser) fields(n *yaml.Node) []*fieldDecl {
	var out []*fieldDecl
	names := map[string]int{}
	for _, item := range p.sequence(n, "custom_fields") {
		m, l, ok := p.mapping(item, "a custom field", "name", "type", "options")
		if !ok {
			continue
		}
		f := &fieldDecl{lines: l}
		f.name = p.str(m, l, "name", true)
		typ := p.str(m, l, "type", true)
		f.typ = carillon.FieldType(typ)
		if typ != "" && !contains(fieldTypes, typ) {
			p.addf(l.at("type"), "custom field type %q is not one of %s", typ, strings.Join(fieldTypes, ", "))
		}
		opts, hasOpts := m["options"]
		if hasOpts {
			var at []int
			f.options, at = p.texts(opts, "options")
			seen := map[string]int{}
			for i, o := range f.options {
				p.unique(seen, o, at[i], fmt.Sprintf("option %q", o))
			}
		}
		switch f.typ {
		case carillon.FieldDropdown, carillon.FieldCheckbox:
			if len(f.options) == 0 && (!hasOpts || opts.Kind == yaml.SequenceNode) {
				p.addf(l.at("options"), "custom field %s: a %s field needs options", f.name, typ)
			}
		default:
			if _, given := l.keys["options"]; given && contains(fieldTypes, typ) {
				p.addf(l.at("options"), "custom field %s: a %s field takes no options", f.name, typ)
			}
		}
		if p.unique(names, f.name, l.line, fmt.Sprintf("custom field %q", f.name)) {
			out = append(out, f)
		}
	}
	return out
}

var (
	placeholder        = regexp.MustCompile(`\{\{([^{}]*)\}\}`)
	templateTypes      = []string{"text", "image", "video", "document"}
	templateCategories = []string{"MARKETING", "UTILITY", "AUTHENTICATION"}
	templateStatuses   = []string{"approved", "pending", "rejected", "paused", "disabled", "deleted"}
	languageCode       = regexp.MustCompile(`^[a-z]{2,3}(_[A-Za-z]{2,4})?$`)
)

// checkTemplateText returns what is wrong with a template's placeholders:
// each is {{N}}, and they are numbered 1, 2… without a gap.
func checkTemplateText(text string) string {
	max, seen := 0, map[int]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
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

func (p *parser) templates(n *yaml.Node) []*templateDecl {
	var out []*templateDecl
	keys, uuids := map[string]int{}, map[string]int{}
	for _, item := range p.sequence(n, "templates") {
		m, l, ok := p.mapping(item, "a template", "uuid", "title", "channel", "text", "type", "category", "status", "language", "buttons")
		if !ok {
			continue
		}
		t := &templateDecl{lines: l}
		t.uuid = p.str(m, l, "uuid", false)
		t.title = p.str(m, l, "title", true)
		t.channel = p.str(m, l, "channel", true)
		t.text = p.str(m, l, "text", true)
		t.typ = p.str(m, l, "type", false)
		t.category = p.str(m, l, "category", true)
		t.status = p.str(m, l, "status", false)
		t.language = p.str(m, l, "language", false)
		if t.typ == "" {
			t.typ = "text"
		}
		if t.status == "" {
			t.status = "approved"
		}
		if t.language == "" {
			t.language = "en"
		}
		if n, ok := m["buttons"]; ok {
			t.buttons = p.buttons(n, t.title, t.category)
		}
		if msg := checkTemplateText(t.text); msg != "" {
			p.addf(l.at("text"), "template %s: %s", t.title, msg)
		}
		if !contains(templateTypes, t.typ) {
			p.addf(l.at("type"), "template %s: type %q is not one of %s", t.title, t.typ, strings.Join(templateTypes, ", "))
		}
		if t.category != "" && !contains(templateCategories, t.category) {
			p.addf(l.at("category"), "template %s: category %q is not one of %s", t.title, t.category, strings.Join(templateCategories, ", "))
		}
		if !contains(templateStatuses, t.status) {
			p.addf(l.at("status"), "template %s: status %q is not one of %s", t.title, t.status, strings.Join(templateStatuses, ", "))
		}
		if !languageCode.MatchString(t.language) {
			p.addf(l.at("language"), "template %s: language %q is not a language code (en, pt_BR…)", t.title, t.language)
		}
		key := t.channel + "\x00" + t.title + "\x00" + t.language
		if p.unique(keys, key, l.line, fmt.Sprintf("template %q of channel %q in %s", t.title, t.channel, t.language)) && p.unique(uuids, t.uuid, l.line, fmt.Sprintf("template uuid %q", t.uuid)) {
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

// sameButtons reports whether two lists of template buttons are the same,
// in the same order.
func sameButtons(a, b []carillon.TemplateButton) bool {
	return slices.Equal(a, b)
}

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
			p.addf(l.at("type"), "%s: type %q is not one of %s", what, b.Type, strings.Join(buttonTypes, ", "))
			continue
		}
		// Each kind takes its own keys only.
		takes := map[string]bool{"type": true, "text": true}
		switch b.Type {
		case carillon.ButtonQuickReply:
			if b.Text == "" {
				p.addf(l.line, "%s: a quick_reply button needs text", what)
			}
		case carillon.ButtonURL:
			takes["url"] = true
			if b.Text == "" {
				p.addf(l.line, "%s: a url button needs text", what)
			}
			fixed := strings.Replace(b.URL, "{{1}}", "x", 1)
			switch {
			case b.URL == "":
				p.addf(l.line, "%s: a url button needs url", what)
			case !validMediaURL(fixed):
				p.addf(l.at("url"), "%s: url %q must be an absolute http(s) URL", what, b.URL)
			case strings.ContainsAny(b.URL, "{}") && !dynamicURL.MatchString(b.URL):
				p.addf(l.at("url"), "%s: url %q may have one placeholder, {{1}}, at its end", what, b.URL)
			}
		case carillon.ButtonPhoneNumber:
			takes["phone_number"] = true
			if b.Text == "" {
				p.addf(l.line, "%s: a phone_number button needs text", what)
			}
			if b.PhoneNumber == "" {
				p.addf(l.line, "%s: a phone_number button needs phone_number", what)
			}
		case carillon.ButtonOTP:
			takes["otp_type"] = true
			otps++
			if b.OTPType == "" {
				b.OTPType = "copy_code"
			}
			if !contains(otpTypes, b.OTPType) {
				p.addf(l.at("otp_type"), "%s: otp_type %q is not one of %s", what, b.OTPType, strings.Join(otpTypes, ", "))
			}
			if category != "AUTHENTICATION" {
				p.addf(l.at("type"), "%s: an otp button belongs to an AUTHENTICATION template", what)
			}
		}
		for _, key := range slices.Sorted(maps.Keys(l.keys)) {
			if !takes[key] {
				p.addf(l.at(key), "%s: a %s button takes no %s", what, b.Type, key)
			}
		}
		if utf8.RuneCountInString(b.Text) > maxButtonText {
			p.addf(l.at("text"), "%s: text has at most %d characters", what, maxButtonText)
		}
		out = append(out, b)
	}
	if otps > 1 {
		p.addf(n.Line, "template %s: at most one otp button", title)
	}
	return out
}

func (p *parser) funnels(n *yaml.Node) []*funnelDecl {
	var out []*funnelDecl
	names, uuids := map[string]int{}, map[string]int{}
	for _, item := range p.sequence(n, "funnels") {
		m, l, ok := p.mapping(item, "a funnel", "uuid", "name", "emoji", "position")
		if !ok {
			continue
		}
		f := &funnelDecl{lines: l}
		f.uuid = p.str(m, l, "uuid", false)
		f.name = p.str(m, l, "name", true)
		f.emoji = p.str(m, l, "emoji", false)
		f.position = p.integer(m, l, "position")
		if p.unique(names, f.name, l.line, fmt.Sprintf("funnel %q", f.name)) && p.unique(uuids, f.uuid, l.line, fmt.Sprintf("funnel uuid %q", f.uuid)) {
			out = append(out, f)
		}
	}
	return out
}

func (p *parser) statuses(n *yaml.Node) []*statusDecl {
	var out []*statusDecl
	names, ids := map[string]int{}, map[string]int{}
	for _, item := range p.sequence(n, "custom_statuses") {
		m, l, ok := p.mapping(item, "a custom status", "id", "name", "emoji")
		if !ok {
			continue
		}
		s := &statusDecl{lines: l}
		s.id = p.str(m, l, "id", false)
		s.name = p.str(m, l, "name", true)
		s.emoji = p.str(m, l, "emoji", false)
		if p.unique(names, s.name, l.line, fmt.Sprintf("custom status %q", s.name)) && p.unique(ids, s.id, l.line, fmt.Sprintf("custom status id %q", s.id)) {
			out = append(out, s)
		}
	}
	return out
}

// ApplyResult is what Apply did: a line per object created or changed, and
// the provider channels of the file, whose callback URLs the caller shows.
type ApplyResult struct {
	Changes  []string
	Channels []carillon.Channel
}

// applier applies a declaration in one transaction.
type applier struct {
	s         *Service
	q         carillon.Queries
	accountID int64
	d         *Declaration
	probs     []ApplyProblem
	changes   []string
}

func (a *applier) addf(line int, format string, args ...any) {
	a.probs = append(a.probs, ApplyProblem{Line: line, Message: fmt.Sprintf(format, args...)})
}

func (a *applier) changef(format string, args ...any) {
	a.changes = append(a.changes, fmt.Sprintf(format, args...))
}

// errRefused rolls the transaction back when the store showed problems.
var errRefused = errors.New("declaration refused")

// Apply declares the account's resources as d says, in one transaction:
// what matches nothing is created, what differs is updated, nothing is
// deleted. A reference to nothing refuses the whole file with an
// *ApplyError, and nothing is written.
func (s *Service) Apply(ctx context.Context, accountID int64, d *Declaration) (ApplyResult, error) {
	var res ApplyResult
	var probs []ApplyProblem
	err := s.inTx(ctx, func(q carillon.Queries) error {
		now := s.clock.Now()
		a := &applier{s: s, q: q, accountID: accountID, d: d}
		w, err := newChannelWriter(ctx, s.registry, q, accountID, now)
		if err != nil {
			return err
		}
		res = ApplyResult{}
		for _, c := range d.channels {
			if probs := s.checkProviderSettings(c.spec); len(probs) > 0 {
				for _, pr := range probs {
					a.addf(c.at(pr.Field), "channel %s: %s", c.spec.Title, pr.Message)
				}
				continue
			}
			ch, err := w.upsert(ctx, c.spec)
			var pe *ProblemError
			if errors.As(err, &pe) {
				for _, pr := range pe.Problems {
					a.addf(c.at(pr.Field), "channel %s: %s", c.spec.Title, pr.Message)
				}
				continue
			}
			if err != nil {
				return err
			}
			if info, _ := s.registry.Lookup(ch.Provider); info.CallsBack {
				res.Channels = append(res.Channels, ch)
			}
		}
		a.changes = append(a.changes, w.changes...)
		steps := []func(context.Context, *applier, *channelWriter) error{
			applyUsers, applyTeams, applyTags, applyFields, applyTemplates, applyFunnels, applyStatuses,
		}
		for _, step := range steps {
			if err := step(ctx, a, w); err != nil {
				return err
			}
		}
		if len(a.probs) > 0 {
			probs = a.probs
			return errRefused
		}
		res.Changes = a.changes
		return nil
	})
	if errors.Is(err, errRefused) {
		sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
		return ApplyResult{}, &ApplyError{File: d.file, Problems: probs}
	}
	if err != nil {
		return ApplyResult{}, err
	}
	return res, nil
}

// notFound tells a missing row from a failure.
func notFound(err error) bool { return errors.Is(err, carillon.ErrNotFound) }

func applyUsers(ctx context.Context, a *applier, w *channelWriter) error {
	for _, u := range a.d.users {
		var cur carillon.User
		var err error
		if u.uuid != "" {
			cur, err = a.q.UserByUUID(ctx, a.accountID, u.uuid)
			if notFound(err) {
				a.addf(u.at("uuid"), "user %s: no user has the uuid %q", u.email, u.uuid)
				continue
			}
			if err != nil {
				return err
			}
			if other, err := a.q.UserByEmail(ctx, a.accountID, u.email); err == nil && other.ID != cur.ID {
				a.addf(u.at("email"), "user %s: another user (uuid %s) has that email", u.email, other.UUID)
				continue
			} else if err != nil && !notFound(err) {
				return err
			}
		} else {
			cur, err = a.q.UserByEmail(ctx, a.accountID, u.email)
			if notFound(err) {
				nu := carillon.User{UUID: carillon.NewUUID(), AccountID: a.accountID, Email: u.email, Name: u.name, CreatedAt: w.now}
				if err := a.q.CreateUser(ctx, &nu); err != nil {
					return err
				}
				a.changef("created user %s (uuid %s)", nu.Email, nu.UUID)
				continue
			}
			if err != nil {
				return err
			}
		}
		var what []string
		if cur.Email != u.email {
			cur.Email, what = u.email, append(what, "email")
		}
		if cur.Name != u.name {
			cur.Name, what = u.name, append(what, "name")
		}
		if len(what) > 0 {
			if err := a.q.UpdateUser(ctx, &cur); err != nil {
				return err
			}
			a.changef("updated user %s: %s", cur.Email, strings.Join(what, ", "))
		}
	}
	return nil
}

func applyTeams(ctx context.Context, a *applier, w *channelWriter) error {
	for _, t := range a.d.teams {
		// The members, by email; every one must exist by now.
		var want []carillon.User
		missing := false
		for i, e := range t.members {
			u, err := a.q.UserByEmail(ctx, a.accountID, e)
			if notFound(err) {
				a.addf(t.memberLine[i], "team %s: no user has the email %q in the file or the account", t.name, e)
				missing = true
				continue
			}
			if err != nil {
				return err
			}
			want = append(want, u)
		}
		var cur carillon.Team
		var err error
		created := false
		if t.uuid != "" {
			cur, err = a.q.TeamByUUID(ctx, a.accountID, t.uuid)
			if notFound(err) {
				a.addf(t.at("uuid"), "team %s: no team has the uuid %q", t.name, t.uuid)
				continue
			}
			if err != nil {
				return err
			}
			if other, err := a.q.TeamByName(ctx, a.accountID, t.name); err == nil && other.ID != cur.ID {
				a.addf(t.at("name"), "team %s: another team (uuid %s) has that name", t.name, other.UUID)
				continue
			} else if err != nil && !notFound(err) {
				return err
			}
		} else {
			cur, err = a.q.TeamByName(ctx, a.accountID, t.name)
			if notFound(err) {
				cur = carillon.Team{UUID: carillon.NewUUID(), AccountID: a.accountID, Name: t.name, CreatedAt: w.now}
				if err := a.q.CreateTeam(ctx, &cur); err != nil {
					return err
				}
				a.changef("created team %s (uuid %s)", cur.Name, cur.UUID)
				created, err = true, nil
			}
			if err != nil {
				return err
			}
		}
		if missing {
			continue
		}
		var what []string
		if cur.Name != t.name {
			cur.Name = t.name
			if err := a.q.UpdateTeam(ctx, &cur); err != nil {
				return err
			}
			what = append(what, "name")
		}
		if t.hasMembers {
			changed, err := a.setMembers(ctx, cur, want, w)
			if err != nil {
				return err
			}
			if changed {
				what = append(what, "members")
			}
		}
		if len(what) > 0 && !created {
			a.changef("updated team %s: %s", cur.Name, strings.Join(what, ", "))
		}
	}
	return nil
}

// setMembers makes the team's membership exactly want.
func (a *applier) setMembers(ctx context.Context, t carillon.Team, want []carillon.User, w *channelWriter) (bool, error) {
	have, err := a.q.TeamMembers(ctx, t.ID)
	if err != nil && !notFound(err) {
		return false, err
	}
	in := map[int64]bool{}
	for _, u := range have {
		in[u.ID] = true
	}
	keep := map[int64]bool{}
	changed := false
	for _, u := range want {
		keep[u.ID] = true
		if !in[u.ID] {
			if err := a.q.AddTeamMember(ctx, t.ID, u.ID, w.now); err != nil {
				return false, err
			}
			if err := a.s.membershipUpdated(ctx, a.q, t, u, true, w.now); err != nil {
				return false, err
			}
			changed = true
		}
	}
	for _, u := range have {
		if !keep[u.ID] {
			if err := a.q.RemoveTeamMember(ctx, t.ID, u.ID); err != nil && !notFound(err) {
				return false, err
			}
			if err := a.s.membershipUpdated(ctx, a.q, t, u, false, w.now); err != nil {
				return false, err
			}
			changed = true
		}
	}
	return changed, nil
}

func applyTags(ctx context.Context, a *applier, w *channelWriter) error {
	for _, t := range a.d.tags {
		_, err := a.q.TagByName(ctx, a.accountID, t.name)
		if err == nil {
			continue
		}
		if !notFound(err) {
			return err
		}
		tag := carillon.Tag{AccountID: a.accountID, Name: t.name, CreatedAt: w.now}
		if err := a.q.CreateTag(ctx, &tag); err != nil {
			return err
		}
		a.changef("created tag %s", tag.Name)
	}
	return nil
}

func applyFields(ctx context.Context, a *applier, w *channelWriter) error {
	for _, f := range a.d.fields {
		cur, err := a.q.CustomFieldByName(ctx, a.accountID, f.name)
		if notFound(err) {
			nf := carillon.CustomField{AccountID: a.accountID, Name: f.name, Type: f.typ, Options: f.options, CreatedAt: w.now, UpdatedAt: w.now}
			if err := a.q.CreateCustomField(ctx, &nf); err != nil {
				return err
			}
			a.changef("created custom field %s", nf.Name)
			continue
		}
		if err != nil {
			return err
		}
		var what []string
		if cur.Type != f.typ {
			cur.Type, what = f.typ, append(what, "type")
		}
		if strings.Join(cur.Options, "\x00") != strings.Join(f.options, "\x00") {
			cur.Options, what = f.options, append(what, "options")
		}
		if len(what) > 0 {
			cur.UpdatedAt = w.now
			if err := a.q.UpdateCustomField(ctx, &cur); err != nil {
				return err
			}
			a.changef("updated custom field %s: %s", cur.Name, strings.Join(what, ", "))
		}
	}
	return nil
}

func applyTemplates(ctx context.Context, a *applier, w *channelWriter) error {
	for _, t := range a.d.templates {
		ci := w.byTitle(t.channel)
		if ci < 0 {
			a.addf(t.at("channel"), "template %s: no channel is titled %q in the file or the account", t.title, t.channel)
			continue
		}
		ch := w.channels[ci]
		var cur carillon.Template
		var err error
		if t.uuid != "" {
			cur, err = a.q.TemplateByUUID(ctx, a.accountID, t.uuid)
			if notFound(err) {
				a.addf(t.at("uuid"), "template %s: no template has the uuid %q", t.title, t.uuid)
				continue
			}
			if err != nil {
				return err
			}
			if other, err := a.q.TemplateByKey(ctx, ch.ID, t.title, t.language); err == nil && other.ID != cur.ID {
				a.addf(t.at("title"), "template %s: another template (uuid %s) of channel %s has that title and language", t.title, other.UUID, ch.Title)
				continue
			} else if err != nil && !notFound(err) {
				return err
			}
		} else {
			cur, err = a.q.TemplateByKey(ctx, ch.ID, t.title, t.language)
			if notFound(err) {
				nt := carillon.Template{
					UUID: carillon.NewUUID(), AccountID: a.accountID, ChannelID: ch.ID, Title: t.title, Text: t.text,
					Type: t.typ, Category: t.category, Status: t.status, Language: t.language, Buttons: t.buttons,
					CreatedAt: w.now, UpdatedAt: w.now,
				}
				if err := a.q.CreateTemplate(ctx, &nt); err != nil {
					return err
				}
				a.changef("created template %s (uuid %s)", nt.Title, nt.UUID)
				continue
			}
			if err != nil {
				return err
			}
		}
		var what []string
		set := func(field string, dst *string, v string) {
			if *dst != v {
				*dst, what = v, append(what, field)
			}
		}
		if cur.ChannelID != ch.ID {
			cur.ChannelID, what = ch.ID, append(what, "channel")
		}
		set("title", &cur.Title, t.title)
		set("text", &cur.Text, t.text)
		set("type", &cur.Type, t.typ)
		set("category", &cur.Category, t.category)
		set("status", &cur.Status, t.status)
		set("language", &cur.Language, t.language)
		if !sameButtons(cur.Buttons, t.buttons) {
			cur.Buttons, what = t.buttons, append(what, "buttons")
		}
		if len(what) > 0 {
			cur.UpdatedAt = w.now
			if err := a.q.UpdateTemplate(ctx, &cur); err != nil {
				return err
			}
			a.changef("updated template %s: %s", cur.Title, strings.Join(what, ", "))
		}
	}
	return nil
}

func applyFunnels(ctx context.Context, a *applier, w *channelWriter) error {
	for _, f := range a.d.funnels {
		var cur carillon.Funnel
		var err error
		if f.uuid != "" {
			cur, err = a.q.FunnelByUUID(ctx, a.accountID, f.uuid)
			if notFound(err) {
				a.addf(f.at("uuid"), "funnel %s: no funnel has the uuid %q", f.name, f.uuid)
				continue
			}
			if err != nil {
				return err
			}
			if other, err := a.q.FunnelByName(ctx, a.accountID, f.name); err == nil && other.ID != cur.ID {
				a.addf(f.at("name"), "funnel %s: another funnel (uuid %s) has that name", f.name, other.UUID)
				continue
			} else if err != nil && !notFound(err) {
				return err
			}
		} else {
			cur, err = a.q.FunnelByName(ctx, a.accountID, f.name)
			if notFound(err) {
				nf := carillon.Funnel{UUID: carillon.NewDashedUUID(), AccountID: a.accountID, Name: f.name, Emoji: f.emoji, Position: f.position, CreatedAt: w.now}
				if err := a.q.CreateFunnel(ctx, &nf); err != nil {
					return err
				}
				a.changef("created funnel %s (uuid %s)", nf.Name, nf.UUID)
				continue
			}
			if err != nil {
				return err
			}
		}
		var what []string
		if cur.Name != f.name {
			cur.Name, what = f.name, append(what, "name")
		}
		if cur.Emoji != f.emoji {
			cur.Emoji, what = f.emoji, append(what, "emoji")
		}
		if cur.Position != f.position {
			cur.Position, what = f.position, append(what, "position")
		}
		if len(what) > 0 {
			if err := a.q.UpdateFunnel(ctx, &cur); err != nil {
				return err
			}
			a.changef("updated funnel %s: %s", cur.Name, strings.Join(what, ", "))
		}
	}
	return nil
}

func applyStatuses(ctx context.Context, a *applier, w *channelWriter) error {
	for _, s := range a.d.statuses {
		var cur carillon.CustomStatus
		var err error
		if s.id != "" {
			cur, err = a.q.CustomStatusByUUID(ctx, a.accountID, s.id)
			if notFound(err) {
				a.addf(s.at("id"), "custom status %s: no custom status has the id %q", s.name, s.id)
				continue
			}
			if err != nil {
				return err
			}
			if other, err := a.q.CustomStatusByName(ctx, a.accountID, s.name); err == nil && other.ID != cur.ID {
				a.addf(s.at("name"), "custom status %s: another custom status (id %s) has that name", s.name, other.UUID)
				continue
			} else if err != nil && !notFound(err) {
				return err
			}
		} else {
			cur, err = a.q.CustomStatusByName(ctx, a.accountID, s.name)
			if notFound(err) {
				ns := carillon.CustomStatus{UUID: carillon.NewDashedUUID(), AccountID: a.accountID, Name: s.name, Emoji: s.emoji, CreatedAt: w.now, UpdatedAt: w.now}
				if err := a.q.CreateCustomStatus(ctx, &ns); err != nil {
					return err
				}
				a.changef("created custom status %s (id %s)", ns.Name, ns.UUID)
				continue
			}
			if err != nil {
				return err
			}
		}
		var what []string
		if cur.Name != s.name {
			cur.Name, what = s.name, append(what, "name")
		}
		if cur.Emoji != s.emoji {
			cur.Emoji, what = s.emoji, append(what, "emoji")
		}
		if len(what) > 0 {
			cur.UpdatedAt = w.now
			if err := a.q.UpdateCustomStatus(ctx, &cur); err != nil {
				return err
			}
			a.changef("updated custom status %s: %s", cur.Name, strings.Join(what, ", "))
		}
	}
	return nil
}
