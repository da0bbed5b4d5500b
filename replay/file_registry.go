package replay

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The registry lives in the top-level bucket "deployment", sub-bucket
// "registry" (name → fields doc, version, updated), with the registry
// version under the key "registry_version" of "deployment". An org bucket
// is named "org:<org>", so the names cannot meet.
var (
	bucketDeployment   = []byte("deployment")
	bucketRegistry     = []byte("registry")
	keyRegistryVersion = []byte("registry_version")
)

// PutIntegration implements RegistryStore.
func (s *FileStore) PutIntegration(ctx context.Context, name string, doc []byte, expect int64) (int64, error) {
	if err := checkName("integration", name); err != nil {
		return 0, fmt.Errorf("put integration: %w", err)
	}
	if err := checkDoc(doc); err != nil {
		return 0, fmt.Errorf("put integration %s: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("put integration %s: %w", name, err)
	}
	var version int64
	err := s.db.Update(func(tx *bolt.Tx) error {
		dep, reg, err := registryBuckets(tx)
		if err != nil {
			return err
		}
		stored, err := storedVersion(reg, name)
		if err != nil {
			return err
		}
		if stored != expect {
			return &VersionConflictError{Name: name, Expected: expect, Stored: stored}
		}
		if version, err = bumpRegistryVersion(dep); err != nil {
			return err
		}
		f := fields{"doc": string(doc)}
		f.setInt("version", version)
		f.setTime("updated", now())
		return reg.Put([]byte(name), encodeFields(f))
	})
	if err != nil {
		return 0, fmt.Errorf("put integration %s: %w", name, err)
	}
	return version, nil
}

// Integration implements RegistryStore.
func (s *FileStore) Integration(ctx context.Context, name string) (IntegrationDoc, error) {
	if err := checkName("integration", name); err != nil {
		return IntegrationDoc{}, fmt.Errorf("read integration: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return IntegrationDoc{}, fmt.Errorf("read integration %s: %w", name, err)
	}
	var d IntegrationDoc
	err := s.db.View(func(tx *bolt.Tx) error {
		reg := registryBucket(tx)
		if reg == nil {
			return ErrNotFound
		}
		f, err := getFields(reg, []byte(name))
		if err != nil {
			return err
		}
		d, err = fileIntegrationDoc(name, f)
		return err
	})
	if err != nil {
		return IntegrationDoc{}, fmt.Errorf("read integration %s: %w", name, err)
	}
	return d, nil
}

// Integrations implements RegistryStore.
func (s *FileStore) Integrations(ctx context.Context) ([]IntegrationDoc, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	var out []IntegrationDoc
	err := s.db.View(func(tx *bolt.Tx) error {
		reg := registryBucket(tx)
		if reg == nil {
			return nil
		}
		return reg.ForEach(func(k, v []byte) error {
			f, err := decodeFields(v)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			d, err := fileIntegrationDoc(string(k), f)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			out = append(out, d)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	sortDocs(out)
	return out, nil
}

// DeleteIntegration implements RegistryStore.
func (s *FileStore) DeleteIntegration(ctx context.Context, name string, expect int64) error {
	if err := checkName("integration", name); err != nil {
		return fmt.Errorf("delete integration: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete integration %s: %w", name, err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		dep, reg, err := registryBuckets(tx)
		if err != nil {
			return err
		}
		stored, err := storedVersion(reg, name)
		if err != nil {
			return err
		}
		if stored == 0 {
			return ErrNotFound
		}
		if stored != expect {
			return &VersionConflictError{Name: name, Expected: expect, Stored: stored}
		}
		if _, err := bumpRegistryVersion(dep); err != nil {
			return err
		}
		return reg.Delete([]byte(name))
	})
	if err != nil {
		return fmt.Errorf("delete integration %s: %w", name, err)
	}
	return nil
}

// RegistryVersion implements RegistryStore.
func (s *FileStore) RegistryVersion(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("read registry version: %w", err)
	}
	var v int64
	err := s.db.View(func(tx *bolt.Tx) error {
		dep := tx.Bucket(bucketDeployment)
		if dep == nil {
			return nil
		}
		var err error
		v, err = parseRegistryVersion(dep.Get(keyRegistryVersion))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("read registry version: %w", err)
	}
	return v, nil
}

func registryBucket(tx *bolt.Tx) *bolt.Bucket {
	dep := tx.Bucket(bucketDeployment)
	if dep == nil {
		return nil
	}
	return dep.Bucket(bucketRegistry)
}

func registryBuckets(tx *bolt.Tx) (dep, reg *bolt.Bucket, err error) {
	if dep, err = tx.CreateBucketIfNotExists(bucketDeployment); err != nil {
		return nil, nil, err
	}
	reg, err = dep.CreateBucketIfNotExists(bucketRegistry)
	return dep, reg, err
}

// storedVersion is the version of name's document, 0 when there is none.
func storedVersion(reg *bolt.Bucket, name string) (int64, error) {
	raw := reg.Get([]byte(name))
	if raw == nil {
		return 0, nil
	}
	f, err := decodeFields(raw)
	if err != nil {
		return 0, err
	}
	return f.int("version")
}

func bumpRegistryVersion(dep *bolt.Bucket) (int64, error) {
	v, err := parseRegistryVersion(dep.Get(keyRegistryVersion))
	if err != nil {
		return 0, err
	}
	v++
	return v, dep.Put(keyRegistryVersion, []byte(strconv.FormatInt(v, 10)))
}

func parseRegistryVersion(raw []byte) (int64, error) {
	if raw == nil {
		return 0, nil
	}
	v, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil || v < 0 {
		return 0, corruptf("registry version %q", raw)
	}
	return v, nil
}

func fileIntegrationDoc(name string, f fields) (IntegrationDoc, error) {
	v, err := f.int("version")
	if err != nil {
		return IntegrationDoc{}, err
	}
	if v <= 0 {
		return IntegrationDoc{}, corruptf("version %d", v)
	}
	t, err := f.time("updated")
	if err != nil {
		return IntegrationDoc{}, err
	}
	return IntegrationDoc{Name: name, Version: v, Doc: []byte(f["doc"]), Updated: t}, nil
}

// Heartbeat implements MemberStore. The file store serves one process, so
// its members are that process's instances, kept in memory.
func (s *FileStore) Heartbeat(ctx context.Context, instance string, ttl time.Duration) (Member, error) {
	if err := checkName("instance", instance); err != nil {
		return Member{}, fmt.Errorf("heartbeat: %w", err)
	}
	if err := checkTTL(ttl); err != nil {
		return Member{}, fmt.Errorf("heartbeat %s: %w", instance, err)
	}
	if err := ctx.Err(); err != nil {
		return Member{}, fmt.Errorf("heartbeat %s: %w", instance, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := now()
	s.forgetExpiredMembers(t)
	m, live := s.members[instance]
	if !live {
		m = Member{Name: instance, Joined: t.UTC()}
	}
	m.Expires = t.Add(ttl).UTC()
	if s.members == nil {
		s.members = map[string]Member{}
	}
	s.members[instance] = m
	return m, nil
}

// Members implements MemberStore.
func (s *FileStore) Members(ctx context.Context) ([]Member, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgetExpiredMembers(now())
	out := make([]Member, 0, len(s.members))
	for _, m := range s.members {
		out = append(out, m)
	}
	sortMembers(out)
	return out, nil
}

// Leave implements MemberStore.
func (s *FileStore) Leave(ctx context.Context, instance string) error {
	if err := checkName("instance", instance); err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("leave %s: %w", instance, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.members, instance)
	return nil
}

// forgetExpiredMembers drops members whose heartbeat ran out; s.mu is held.
func (s *FileStore) forgetExpiredMembers(t time.Time) {
	for name, m := range s.members {
		if !t.Before(m.Expires) {
			delete(s.members, name)
		}
	}
}

// fileReport is one report kept in memory: the file store serves one
// process, whose reports need not outlive it.
type fileReport struct {
	doc     []byte
	expires time.Time // monotonic
}

// SaveReport implements ReportStore.
func (s *FileStore) SaveReport(ctx context.Context, key string, doc []byte, ttl time.Duration) error {
	if err := checkName("report", key); err != nil {
		return fmt.Errorf("save report: %w", err)
	}
	if err := checkTTL(ttl); err != nil {
		return fmt.Errorf("save report %s: %w", key, err)
	}
	if len(doc) > maxRegistryDoc {
		return fmt.Errorf("save report %s: %w", key, invalidf("report of %d bytes; want at most %d", len(doc), maxRegistryDoc))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save report %s: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reports == nil {
		s.reports = map[string]fileReport{}
	}
	s.reports[key] = fileReport{doc: bytes.Clone(doc), expires: now().Add(ttl)}
	return nil
}

// SaveReports implements ReportStore.
func (s *FileStore) SaveReports(ctx context.Context, docs map[string][]byte, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return fmt.Errorf("save reports: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save reports: %w", err)
	}
	keys, refused := checkReports(docs)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reports == nil {
		s.reports = map[string]fileReport{}
	}
	expires := now().Add(ttl)
	for _, key := range keys {
		s.reports[key] = fileReport{doc: bytes.Clone(docs[key]), expires: expires}
	}
	return refused
}

// Reports implements ReportStore.
func (s *FileStore) Reports(ctx context.Context) (map[string][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read reports: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := now()
	out := make(map[string][]byte, len(s.reports))
	for k, r := range s.reports {
		if !t.Before(r.expires) {
			delete(s.reports, k)
			continue
		}
		out[k] = bytes.Clone(r.doc)
	}
	return out, nil
}

// DeleteReport implements ReportStore.
func (s *FileStore) DeleteReport(ctx context.Context, key string) error {
	if err := checkName("report", key); err != nil {
		return fmt.Errorf("delete report: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete report %s: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.reports, key)
	return nil
}
