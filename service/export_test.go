package service

// QueuedUnits is the number of units of work waiting for a writer of s:
// a test that holds a writer waits until what it sent is queued behind
// it, so that those units run in one batch.
func QueuedUnits(s *Service) int {
	n := 0
	for _, work := range s.commit.work {
		n += len(work)
	}
	return n
}
