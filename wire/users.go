package wire

import "github.com/carillon/carillon"

// UserStatus is what PUT /users/:uuid/status answers under user_status:
// CustomStatus is null when the user shows none.
type UserStatus struct {
	CustomStatus *UserStatusCustom `json:"custom_status"`
	Appearance   UserAppearance    `json:"appearance"`
}

// UserStatusCustom is the custom status a user shows; LastUpdatedAt is when
// the user took it.
type UserStatusCustom struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	LastUpdatedAt Time   `json:"last_updated_at"`
}

// UserAppearance is a user's availability; LastUpdatedAt is when it last
// changed.
type UserAppearance struct {
	Available     bool `json:"available"`
	LastUpdatedAt Time `json:"last_updated_at"`
}

// FromUserStatus converts a user's status; cs is the custom status it
// shows, or nil, and availabilityAt when its availability last changed.
func FromUserStatus(st carillon.UserStatus, cs *carillon.CustomStatus, availabilityAt Time) UserStatus {
	out := UserStatus{Appearance: UserAppearance{Available: st.Available, LastUpdatedAt: availabilityAt}}
	if cs != nil {
		out.CustomStatus = &UserStatusCustom{ID: cs.UUID, Name: cs.Name, LastUpdatedAt: Time(st.CustomStatusAt)}
	}
	return out
}
