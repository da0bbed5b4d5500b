package commsmining

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// handleListComments pages through a source by (timestamp, id), like CM's
// private comments route. The continuation is opaque to clients.
func (s *Server) handleListComments(w http.ResponseWriter, r *http.Request) {
	project, source := r.PathValue("project"), r.PathValue("source")
	limit, err := pageLimit(r)
	if err != nil {
		s.reject(w, http.StatusBadRequest, err.Error())
		return
	}
	q := r.URL.Query()
	from, to, err := timeRange(q.Get("from_timestamp"), q.Get("to_timestamp"))
	if err != nil {
		s.reject(w, http.StatusBadRequest, err.Error())
		return
	}
	after, err := decodeContinuation(q.Get("after"))
	if err != nil {
		s.reject(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	src, ok := s.sources[project+"/"+source]
	var page []outComment
	var next any // a string, or JSON null at the end
	if ok {
		page, next = pageOf(src, from, to, after, limit)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("source %s/%s not found", project, source))
		return
	}
	if page == nil {
		page = []outComment{}
	}
	writeJSON(w, http.StatusOK, okEnvelope(map[string]any{"comments": page, "continuation": next}))
}

type position struct {
	ts time.Time
	id string
}

func (p position) before(c *Comment) bool {
	if c.Timestamp.Equal(p.ts) {
		return p.id < c.ID
	}
	return p.ts.Before(c.Timestamp)
}

func pageOf(src *Source, from, to time.Time, after *position, limit int) ([]outComment, any) {
	var page []outComment
	var last *Comment
	for _, c := range src.sortedComments() {
		if (after != nil && !after.before(c)) || (!from.IsZero() && c.Timestamp.Before(from)) || (!to.IsZero() && c.Timestamp.After(to)) {
			continue
		}
		if len(page) == limit {
			return page, encodeContinuation(last.Timestamp.Format(time.RFC3339Nano), last.ID)
		}
		page = append(page, c.wire(src.ID))
		last = c
	}
	return page, nil
}

func timeRange(fromRaw, toRaw string) (time.Time, time.Time, error) {
	var from, to time.Time
	var err error
	if fromRaw != "" {
		if from, err = parseTime(fromRaw); err != nil {
			return from, to, fmt.Errorf("from_timestamp: %w", err)
		}
	}
	if toRaw != "" {
		if to, err = parseTime(toRaw); err != nil {
			return from, to, fmt.Errorf("to_timestamp: %w", err)
		}
	}
	return from, to, nil
}

func encodeContinuation(ts, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(ts + "|" + id))
}

func decodeContinuation(raw string) (*position, error) {
	if raw == "" {
		return nil, nil
	}
	data, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("after: not a continuation token")
	}
	tsRaw, id, ok := strings.Cut(string(data), "|")
	ts, err := parseTime(tsRaw)
	if !ok || err != nil {
		return nil, fmt.Errorf("after: not a continuation token")
	}
	return &position{ts: ts, id: id}, nil
}

// outSource is a source as CM answers it.
type outSource struct {
	ID                  string   `json:"id"`
	Owner               string   `json:"owner"`
	Name                string   `json:"name"`
	Title               string   `json:"title"`
	Description         string   `json:"description"`
	Language            string   `json:"language"`
	ShouldTranslate     bool     `json:"should_translate"`
	CreatedAt           string   `json:"created_at"`
	UpdatedAt           string   `json:"updated_at"`
	BucketID            *string  `json:"bucket_id"`
	SensitiveProperties []string `json:"sensitive_properties"`
}

func (src *Source) wire() outSource {
	return outSource{ID: src.ID, Owner: src.Project, Name: src.Name, Title: src.Title, Language: "en",
		CreatedAt: formatTime(src.CreatedAt), UpdatedAt: formatTime(src.CreatedAt), SensitiveProperties: []string{}}
}

func (s *Server) handleListSources(w http.ResponseWriter, r *http.Request) {
	project := r.PathValue("project")
	s.mu.Lock()
	out := []outSource{}
	for _, src := range s.sources {
		if project == "" || src.Project == project {
			out = append(out, src.wire())
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b outSource) int { return strings.Compare(a.Owner+"/"+a.Name, b.Owner+"/"+b.Name) })
	writeJSON(w, http.StatusOK, okEnvelope(map[string]any{"sources": out}))
}

func (s *Server) handleGetSource(w http.ResponseWriter, r *http.Request) {
	project, source := r.PathValue("project"), r.PathValue("source")
	s.mu.Lock()
	src, ok := s.sources[project+"/"+source]
	var out outSource
	if ok {
		out = src.wire()
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("source %s/%s not found", project, source))
		return
	}
	writeJSON(w, http.StatusOK, okEnvelope(map[string]any{"source": out}))
}

// handleCreateSource creates a source: PUT with {"source":{"title":…}}.
func (s *Server) handleCreateSource(w http.ResponseWriter, r *http.Request) {
	project, source := r.PathValue("project"), r.PathValue("source")
	if !validName(project) || !validName(source) || strings.Contains(source, ".") {
		s.reject(w, http.StatusBadRequest, "name: projects and sources are 1-256 of A-Z a-z 0-9 - _")
		return
	}
	var req struct {
		Source map[string]any `json:"source"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err == nil && len(body) > 0 {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		s.reject(w, http.StatusBadRequest, "decode source: "+err.Error())
		return
	}
	s.mu.Lock()
	key := project + "/" + source
	_, exists := s.sources[key]
	var out outSource
	if !exists {
		src := newSource(project, source, s.opts.Now())
		if title, ok := req.Source["title"].(string); ok && title != "" {
			src.Title = title
		}
		s.sources[key] = src
		out = src.wire()
	}
	s.mu.Unlock()
	if exists {
		writeError(w, http.StatusConflict, fmt.Sprintf("source %s already exists", key))
		return
	}
	writeJSON(w, http.StatusOK, okEnvelope(map[string]any{"source": out}))
}
