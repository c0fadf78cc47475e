package carillon

import (
	"errors"
	"testing"
)

func TestParseRole(t *testing.T) {
	tests := []struct {
		in   string
		want Role
		ok   bool
	}{
		{"admin", RoleAdmin, true},
		{"agent", RoleAgent, true},
		{"restricted_agent", RoleRestrictedAgent, true},
		{"settings_agent", RoleSettingsAgent, true},
		{"", "", false},
		{"Admin", "", false},
		{" admin", "", false},
		{"owner", "", false},
	}
	for _, tc := range tests {
		got, err := ParseRole(tc.in)
		if tc.ok {
			if err != nil || got != tc.want {
				t.Errorf("ParseRole(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidParameter || e.Field != "role" {
			t.Errorf("ParseRole(%q) error = %v; want invalid_parameter on role", tc.in, err)
		}
	}
}
