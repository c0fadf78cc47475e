package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

func TestUserStatus(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	made := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	ana := carillon.User{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Email: "ana@example.com", Name: "Ana", CreatedAt: made}
	if err := f.db.CreateUser(ctx, &ana); err != nil {
		t.Fatal(err)
	}
	lunch, err := f.svc.Resources.CreateCustomStatus(ctx, f.p, service.CustomStatusInput{Name: ptr("Lunch")})
	if err != nil {
		t.Fatal(err)
	}
	meeting, err := f.svc.Resources.CreateCustomStatus(ctx, f.p, service.CustomStatusInput{Name: ptr("Meeting")})
	if err != nil {
		t.Fatal(err)
	}
	other := otherAccount(t, f)
	foreign, err := f.svc.Resources.CreateCustomStatus(ctx, other, service.CustomStatusInput{Name: ptr("Away")})
	if err != nil {
		t.Fatal(err)
	}

	// The steps run in order, each from the state the previous one left.
	steps := []struct {
		name          string
		p             service.Principal
		user          string
		in            service.UserStatusInput
		code          carillon.ErrorCode
		field         string
		wantAvailable bool
		wantCustom    string // the custom status's uuid, "" for none
	}{
		{name: "neither field", user: ana.UUID, code: carillon.CodeInvalidParameter, field: "available"},
		{name: "unknown user", user: carillon.NewUUID(), in: service.UserStatusInput{Available: ptr(true)}, code: carillon.CodeNotFound},
		{name: "another account's user", p: other, user: ana.UUID, in: service.UserStatusInput{Available: ptr(true)}, code: carillon.CodeNotFound},
		{name: "available", user: ana.UUID, in: service.UserStatusInput{Available: ptr(true)}, wantAvailable: true},
		{name: "custom status", user: ana.UUID, in: service.UserStatusInput{SetCustomStatus: true, CustomStatusID: lunch.UUID}, wantAvailable: true, wantCustom: lunch.UUID},
		{name: "unknown custom status", user: ana.UUID, in: service.UserStatusInput{Available: ptr(false), SetCustomStatus: true, CustomStatusID: "9a4c1f3e-2b7d-4e8a-9f0c-1d2e3f4a5b6c"},
			code: carillon.CodeInvalidParameter, field: "custom_status_uuid"},
		{name: "another account's custom status", user: ana.UUID, in: service.UserStatusInput{SetCustomStatus: true, CustomStatusID: foreign.UUID},
			code: carillon.CodeInvalidParameter, field: "custom_status_uuid"},
		{name: "both", user: ana.UUID, in: service.UserStatusInput{Available: ptr(false), SetCustomStatus: true, CustomStatusID: meeting.UUID}, wantCustom: meeting.UUID},
		{name: "availability leaves the custom status", user: ana.UUID, in: service.UserStatusInput{Available: ptr(true)}, wantAvailable: true, wantCustom: meeting.UUID},
		{name: "null unassigns", user: ana.UUID, in: service.UserStatusInput{SetCustomStatus: true}, wantAvailable: true},
	}
	for _, st := range steps {
		p := f.p
		if st.p.Account.ID != 0 {
			p = st.p
		}
		before, _ := f.db.UserStatus(ctx, f.p.Account.ID, ana.ID)
		v, err := f.svc.Resources.SetUserStatus(ctx, p, st.user, st.in)
		if st.code != "" {
			wantCode(t, err, st.code, st.field)
			if after, _ := f.db.UserStatus(ctx, f.p.Account.ID, ana.ID); !sameStatus(after, before) {
				t.Fatalf("%s: a refused change wrote %+v over %+v", st.name, after, before)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		gotCustom := ""
		if v.CustomStatus != nil {
			gotCustom = v.CustomStatus.UUID
		}
		stored, err := f.db.UserStatus(ctx, f.p.Account.ID, ana.ID)
		if err != nil || v.Status.Available != st.wantAvailable || gotCustom != st.wantCustom || !sameStatus(stored, v.Status) {
			t.Fatalf("%s: got %+v (custom %q), stored %+v, %v; want available %v, custom %q", st.name, v.Status, gotCustom, stored, err, st.wantAvailable, st.wantCustom)
		}
	}
}

func TestUserStatusTimes(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	made := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	ana := carillon.User{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Email: "ana@example.com", Name: "Ana", CreatedAt: made}
	if err := f.db.CreateUser(ctx, &ana); err != nil {
		t.Fatal(err)
	}
	lunch, err := f.svc.Resources.CreateCustomStatus(ctx, f.p, service.CustomStatusInput{Name: ptr("Lunch")})
	if err != nil {
		t.Fatal(err)
	}
	// Never set: the availability dates from the user's creation.
	v, err := f.svc.Resources.SetUserStatus(ctx, f.p, ana.UUID, service.UserStatusInput{Available: ptr(false)})
	if err != nil || !v.AvailabilityUpdatedAt().Equal(made) || !v.Status.AvailabilityAt.IsZero() {
		t.Fatalf("unchanged availability: %+v at %v, %v", v.Status, v.AvailabilityUpdatedAt(), err)
	}
	v, err = f.svc.Resources.SetUserStatus(ctx, f.p, ana.UUID, service.UserStatusInput{Available: ptr(true), SetCustomStatus: true, CustomStatusID: lunch.UUID})
	if err != nil || v.Status.AvailabilityAt.IsZero() || v.Status.CustomStatusAt.IsZero() || !v.AvailabilityUpdatedAt().After(made) {
		t.Fatalf("changed status: %+v, %v", v.Status, err)
	}
	first := v.Status
	// The same values again move no time.
	v, err = f.svc.Resources.SetUserStatus(ctx, f.p, ana.UUID, service.UserStatusInput{Available: ptr(true), SetCustomStatus: true, CustomStatusID: lunch.UUID})
	if err != nil || !sameStatus(v.Status, first) {
		t.Fatalf("repeated status: %+v, want %+v, %v", v.Status, first, err)
	}

	// DELETE unassigns the custom status and leaves the availability.
	if err := f.svc.Resources.ClearUserCustomStatus(ctx, f.p, ana.UUID); err != nil {
		t.Fatal(err)
	}
	st, _ := f.db.UserStatus(ctx, f.p.Account.ID, ana.ID)
	if st.CustomStatusID != 0 || !st.Available {
		t.Fatalf("after clearing: %+v", st)
	}
	// Clearing again is fine; an unknown user is not found.
	if err := f.svc.Resources.ClearUserCustomStatus(ctx, f.p, ana.UUID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.svc.Resources.ClearUserCustomStatus(ctx, f.p, carillon.NewUUID()), carillon.CodeNotFound, "")
}

func sameStatus(a, b carillon.UserStatus) bool {
	return a.Available == b.Available && a.AvailabilityAt.Equal(b.AvailabilityAt) &&
		a.CustomStatusID == b.CustomStatusID && a.CustomStatusAt.Equal(b.CustomStatusAt)
}
