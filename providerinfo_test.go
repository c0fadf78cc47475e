package carillon_test

import (
	"context"
	"strings"
	"testing"

	"github.com/carillon/carillon"
)

func TestNewProviderRegistryRefusesMistakes(t *testing.T) {
	ok := carillon.ProviderInfo{Name: "a", Title: "A", Settings: []carillon.SettingSpec{{Name: "token", Secret: true}, carillon.PaceSetting()}}
	cases := []struct {
		name  string
		infos []carillon.ProviderInfo
		want  string // "" when accepted
	}{
		{"distinct providers", []carillon.ProviderInfo{ok, {Name: "b", Title: "B"}}, ""},
		{"no name", []carillon.ProviderInfo{ok, {}}, "has no name"},
		{"no title", []carillon.ProviderInfo{ok, {Name: "b"}}, `"b" has no title`},
		{"registered twice", []carillon.ProviderInfo{ok, {Name: "b", Title: "B"}, ok}, `"a" registered twice`},
		{"setting described twice", []carillon.ProviderInfo{{Name: "c", Title: "C", Settings: []carillon.SettingSpec{{Name: "x"}, {Name: "x"}}}}, `setting "x"`},
		{"setting without a name", []carillon.ProviderInfo{{Name: "c", Title: "C", Settings: []carillon.SettingSpec{{}}}}, `setting ""`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := carillon.NewProviderRegistry(c.infos...)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want == "":
				if got := strings.Join(r.Names(), ","); got != "a,b" {
					t.Errorf("Names() = %s, want a,b in registration order", got)
				}
			case err == nil || !strings.Contains(err.Error(), c.want):
				t.Errorf("error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

type nopProvider struct{}

func (nopProvider) Send(context.Context, carillon.Outgoing) (carillon.SendResult, error) {
	return carillon.SendResult{}, nil
}

func TestCheckImplementations(t *testing.T) {
	r, err := carillon.NewProviderRegistry(carillon.ProviderInfo{Name: "a", Title: "A", DefaultMPS: 7}, carillon.ProviderInfo{Name: "b", Title: "B"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CheckImplementations(map[string]carillon.Provider{"a": nopProvider{}, "b": nopProvider{}}); err != nil {
		t.Errorf("every provider implemented: %v", err)
	}
	err = r.CheckImplementations(map[string]carillon.Provider{"a": nopProvider{}, "c": nopProvider{}})
	if err == nil || !strings.Contains(err.Error(), `"b" is described but has no implementation`) || !strings.Contains(err.Error(), `"c" is implemented but not described`) {
		t.Errorf("error = %v, want b missing and c undescribed", err)
	}
	if got := r.DefaultMPS(); got["a"] != 7 || got["b"] != 0 || len(got) != 2 {
		t.Errorf("DefaultMPS() = %v", got)
	}
}

func TestSharedSettingChecks(t *testing.T) {
	cases := []struct {
		spec      carillon.SettingSpec
		value     string
		want      string
		wantError bool
	}{
		{carillon.PaceSetting(), "012", "12", false},
		{carillon.PaceSetting(), "0", "0", false},
		{carillon.PaceSetting(), "-1", "", true},
		{carillon.PaceSetting(), "fast", "", true},
		{carillon.URLSetting("base_url"), "http://127.0.0.1:9", "http://127.0.0.1:9", false},
		{carillon.URLSetting("base_url"), "ftp://example.com", "", true},
		{carillon.URLSetting("base_url"), "/relative", "", true},
	}
	for _, c := range cases {
		got, err := c.spec.Check(c.value)
		if (err != nil) != c.wantError || got != c.want {
			t.Errorf("%s %q: got %q, %v", c.spec.Name, c.value, got, err)
		}
	}
}
