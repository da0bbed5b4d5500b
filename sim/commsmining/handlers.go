package commsmining

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	p := s.opts.PathPrefix
	handle := func(pattern string, ep Endpoint, h http.HandlerFunc) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.Handle(method+" "+p+path, s.wrap(ep, h))
	}
	handle("POST /api/v1/sources/{project}/{source}/sync", EndpointSync, s.handleSync)
	handle("DELETE /api/v1/sources/{project}/{source}/comments", EndpointDelete, s.handleDelete)
	handle("GET /api/v1/sources/{project}/{source}/comments/{id}", EndpointGetComment, s.handleGetComment)
	handle("GET /api/_private/sources/{project}/{source}/comments", EndpointListComments, s.handleListComments)
	handle("GET /api/v1/sources", EndpointSources, s.handleListSources)
	handle("GET /api/v1/sources/{project}", EndpointSources, s.handleListSources)
	handle("GET /api/v1/sources/{project}/{source}", EndpointSources, s.handleGetSource)
	handle("PUT /api/v1/sources/{project}/{source}", EndpointSources, s.handleCreateSource)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such route")
	})
	return mux
}

// wrap counts the request, applies a queued fault, and checks the token.
func (s *Server) wrap(ep Endpoint, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.count(ep)
		defer s.bump(func(st *Stats) { st.InFlight-- })
		fault, faulty := s.takeFault(ep)
		if faulty && fault.Delay > 0 {
			if err := s.wait(r, fault.Delay); err != nil {
				return
			}
		}
		if faulty && fault.Status != 0 {
			if fault.RetryAfter != "" {
				w.Header().Set("Retry-After", fault.RetryAfter)
			}
			writeError(w, fault.Status, fault.Message)
			return
		}
		if !s.authorized(r) {
			s.bump(func(st *Stats) { st.Unauthorized++ })
			writeError(w, http.StatusUnauthorized, "Authentication failed: invalid or missing API token")
			return
		}
		if faulty && fault.AcceptThenTimeout {
			h(discardWriter{header: http.Header{}}, r)
			s.hangThenDrop(w, r)
			return
		}
		h(w, r)
		s.opts.Logger.Debug("commsmining simulator request", "method", r.Method, "path", r.URL.Path)
	})
}

// wait holds a request for d, or until the client leaves or the server
// closes.
func (s *Server) wait(r *http.Request, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-r.Context().Done():
		return r.Context().Err()
	case <-s.closing:
		return errClosing
	}
}

// hangThenDrop never answers: it waits until the client gives up (or the
// server closes) and then closes the connection without a response.
func (s *Server) hangThenDrop(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.closing:
	}
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close() // dropping the connection is the point
	}
}

type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

func (s *Server) count(ep Endpoint) {
	s.bump(func(st *Stats) {
		st.Requests[ep]++
		st.InFlight++
		st.PeakInFlight = max(st.PeakInFlight, st.InFlight)
	})
}

func (s *Server) bump(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

func (s *Server) reject(w http.ResponseWriter, status int, msg string) {
	s.bump(func(st *Stats) { st.Rejected++ })
	writeError(w, status, msg)
}

func (s *Server) handleSync(w http.ResponseWriter, r *http.Request) {
	project, source := r.PathValue("project"), r.PathValue("source")
	if !s.sourceExists(project, source) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("source %s/%s not found", project, source))
		return
	}
	var body, arenaBuf []byte
	var err error
	arena := &arenaBuf
	if s.opts.Lean {
		// Lean mode keeps nothing of the body (digests and copied IDs
		// only), so the buffer goes back to a pool: multi-MB bodies were
		// a steady source of GC work.
		bufs := leanBuffers.Get().(*leanBuffer)
		defer leanBuffers.Put(bufs)
		arena = &bufs.arena
		body, err = readBodyInto(w, r, s.opts.MaxBodyBytes, &bufs.body)
	} else {
		body, err = readBody(w, r, s.opts.MaxBodyBytes)
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.reject(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", tooBig.Limit))
			return
		}
		s.reject(w, http.StatusBadRequest, "read request body: "+err.Error())
		return
	}
	var wire []wireComment
	if s.opts.Lean && !s.opts.RejectUnknownFields {
		wire, err = decodeSyncRequestLean(body, arena)
	} else {
		wire, err = decodeSyncRequest(body, s.opts.RejectUnknownFields)
	}
	if err != nil {
		s.reject(w, http.StatusBadRequest, err.Error())
		return
	}
	batch, err := validateBatch(wire, s.opts.MaxBatch)
	if err != nil {
		s.reject(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	res, refusal, ok := s.apply(project, source, batch)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("source %s/%s not found", project, source))
		return
	}
	if refusal != "" {
		s.bump(func(st *Stats) { st.QuotaRefused++ })
		s.reject(w, quotaStatus, refusal)
		return
	}
	if d := s.opts.SyncTimePerComment; d > 0 {
		if err := s.wait(r, time.Duration(len(batch))*d); err != nil {
			return // the client gave up (or the server is closing); the comments stay applied
		}
	}
	writeJSON(w, http.StatusOK, okEnvelope(map[string]any{"new": res.New, "updated": res.Updated, "unchanged": res.Unchanged}))
}

func (s *Server) sourceExists(project, source string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sources[project+"/"+source]
	return ok
}

// apply upserts a validated batch and meters it, unless it would overfill
// the source's quota (then refusal says why and nothing is stored).
func (s *Server) apply(project, source string, batch []Comment) (_ upsertResult, refusal string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	src, ok := s.sources[project+"/"+source]
	if !ok {
		return upsertResult{}, "", false
	}
	if refusal := src.quotaRefusal(batch); refusal != "" {
		return upsertResult{}, refusal, true
	}
	now := s.opts.Now()
	var receipt func(id, result string)
	if s.opts.RecordReceipts || s.opts.OnReceipt != nil {
		receipt = func(id, result string) {
			r := Receipt{Project: project, Source: source, CommentID: id, At: now, Result: result}
			if s.opts.RecordReceipts {
				s.receipts = append(s.receipts, r)
			}
			if s.opts.OnReceipt != nil {
				s.opts.OnReceipt(r)
			}
		}
	}
	res := src.upsert(batch, now, receipt)
	st := &s.stats
	st.CommentsReceived += int64(len(batch))
	st.New += int64(res.New)
	st.Updated += int64(res.Updated)
	st.Unchanged += int64(res.Unchanged)
	st.BillableUnits += int64(res.Billable)
	ss := &src.stats
	ss.SyncRequests++
	ss.CommentsReceived += int64(len(batch))
	ss.New += int64(res.New)
	ss.Updated += int64(res.Updated)
	ss.Unchanged += int64(res.Unchanged)
	ss.BillableUnits += int64(res.Billable)
	return res, "", true
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	project, source := r.PathValue("project"), r.PathValue("source")
	ids := r.URL.Query()["id"]
	if len(ids) == 0 {
		s.reject(w, http.StatusBadRequest, "id: at least one comment id is required")
		return
	}
	s.mu.Lock()
	src, ok := s.sources[project+"/"+source]
	missing := 0
	if ok {
		for _, id := range ids {
			if !src.has(id) {
				missing++
				continue
			}
			src.remove(id)
			s.stats.Deleted++
			src.stats.Deleted++
		}
	}
	s.mu.Unlock()
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, fmt.Sprintf("source %s/%s not found", project, source))
	case missing > 0:
		writeError(w, http.StatusNotFound, fmt.Sprintf("%d of %d comments not found; the others were deleted", missing, len(ids)))
	default:
		writeJSON(w, http.StatusOK, okEnvelope(nil))
	}
}

func (s *Server) handleGetComment(w http.ResponseWriter, r *http.Request) {
	project, source, id := r.PathValue("project"), r.PathValue("source"), r.PathValue("id")
	s.mu.Lock()
	src, ok := s.sources[project+"/"+source]
	var out outComment
	found := false
	if ok {
		if c, exists := src.comments[id]; exists {
			out, found = c.wire(src.ID), true
		}
	}
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, fmt.Sprintf("comment %q not found", id))
		return
	}
	writeJSON(w, http.StatusOK, okEnvelope(map[string]any{"comment": out}))
}

// pageLimit reads the page size: default 64, at most 256, like CM.
func pageLimit(r *http.Request) (int, error) {
	raw := r.URL.Query().Get("limit")
	if raw == "" {
		return 64, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > 256 {
		return 0, fmt.Errorf("limit: must be 1-256")
	}
	return n, nil
}
