package commsmining

import (
	"fmt"
	"net/http"
)

// QuotaMessagePrefix starts the message of a sync refused because the
// source's comment quota (CM's `comments_per_source` quota kind) is full.
// CM documents quota kinds but not the wire answer of a full quota; the
// reference infers "a 4xx on sync" and CM's Exchange integration disables
// itself on "upload quota reached", so the simulator answers 422 with a
// message that says so, and clients recognise it by the word "quota".
const QuotaMessagePrefix = "Upload quota reached"

// SetSourceQuota limits how many comments project/source may hold (the
// `comments_per_source` quota); 0 removes the limit. A sync that would
// create comments past it is refused whole with 422 and nothing of it is
// stored (updates of comments the source holds are still refused with the
// batch, as CM refuses the request, not single comments). Lowering a quota
// below what the source holds keeps the comments; only new ones are refused.
func (s *Server) SetSourceQuota(project, source string, limit int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if src, ok := s.sources[project+"/"+source]; ok {
		src.quota = max(limit, 0)
	}
}

// quotaRefusal says why batch would overfill src's quota, or "" when it
// fits (or src has none). Under the Server's lock.
func (src *Source) quotaRefusal(batch []Comment) string {
	if src.quota == 0 {
		return ""
	}
	held := src.held()
	fresh := 0
	seen := make(map[string]bool, len(batch))
	for _, c := range batch {
		if seen[c.ID] || src.holds(c.ID) {
			continue
		}
		seen[c.ID] = true
		fresh++
	}
	if fresh == 0 || held+fresh <= src.quota {
		return ""
	}
	return fmt.Sprintf("%s: source %s/%s holds %d comments and its comments_per_source quota is %d; this sync would add %d",
		QuotaMessagePrefix, src.Project, src.Name, held, src.quota, fresh)
}

func (src *Source) held() int {
	if src.digests != nil {
		return len(src.digests)
	}
	return len(src.comments)
}

func (src *Source) holds(id string) bool {
	if src.digests != nil {
		_, ok := src.digests[id]
		return ok
	}
	_, ok := src.comments[id]
	return ok
}

// quotaStatus is the status of a sync refused for the quota.
const quotaStatus = http.StatusUnprocessableEntity
