package service

import (
	"context"
	"errors"
	"time"

	"github.com/carillon/carillon"
)

// assigneePart bounds the older messages one transaction gives their
// contact's new assignee: about 0.1 ms a message on SQLite's writer,
// which every send waits for (docs/benchmarks.md).
const assigneePart = 200

// FollowAssignees gives the older messages of contacts assigned to someone
// else their new assignee, assigneePart a transaction, until ctx ends. An
// assignment rewrites the contact's newest messages itself and queues the
// contact for the rest (store/assignees.go); this looks for queued
// contacts every second, so that a new assignee's message log is whole
// within seconds, and takes up what a stop or another instance left.
func (s *Service) FollowAssignees(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	failing := false
	for {
		for ctx.Err() == nil {
			made, err := s.store.RewriteQueuedMessageAssignees(ctx, assigneePart)
			s.noteUnavailable(err)
			if errors.Is(err, carillon.ErrContention) {
				// PostgreSQL ended a deadlock with a transaction that
				// updates one of the part's messages (a receipt) and
				// holds the contact's queue row (its assignment): the
				// other went on; make the part again.
				continue
			}
			if err != nil {
				if !failing && ctx.Err() == nil {
					s.log.Error("messages not given their contact's new assignee; tried again every second", "error", err)
				}
				failing = true
				break
			}
			failing = false
			if !made {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
