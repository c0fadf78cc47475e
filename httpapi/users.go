package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/wire"
)

// userStatusBody is the body of PUT /v1/users/{uuid}/status.
// custom_status_uuid is kept raw to tell absent (leave it) from null
// (unassign).
type userStatusBody struct {
	Available        *bool           `json:"available"`
	CustomStatusUUID json.RawMessage `json:"custom_status_uuid"`
}

func (b userStatusBody) input() (service.UserStatusInput, error) {
	in := service.UserStatusInput{Available: b.Available}
	switch raw := string(b.CustomStatusUUID); raw {
	case "":
	case "null":
		in.SetCustomStatus = true
	default:
		var id string
		if err := json.Unmarshal(b.CustomStatusUUID, &id); err != nil {
			return in, carillon.Invalid("custom_status_uuid", "custom_status_uuid must be a string (a custom status id) or null")
		}
		if id == "" {
			return in, carillon.Invalid("custom_status_uuid", "custom_status_uuid must not be empty: give a custom status id, or null to unassign")
		}
		in.SetCustomStatus, in.CustomStatusID = true, id
	}
	return in, nil
}

func (s *Server) setUserStatus(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var body userStatusBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	in, err := body.input()
	if err != nil {
		return err
	}
	v, err := s.resources.SetUserStatus(r.Context(), p, r.PathValue("uuid"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user_status": wire.FromUserStatus(v.Status, v.CustomStatus, wire.Time(v.AvailabilityUpdatedAt()))})
	return nil
}

func (s *Server) clearUserStatus(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	if err := s.resources.ClearUserCustomStatus(r.Context(), p, r.PathValue("uuid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
