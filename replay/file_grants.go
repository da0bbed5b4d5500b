package replay

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

var bucketGrants = []byte("grants")

// PutGrant implements GrantStore.
func (s *FileStore) PutGrant(ctx context.Context, name string, doc []byte, expect int64) (int64, error) {
	if err := checkGrant(name, doc); err != nil {
		return 0, fmt.Errorf("put grant: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("put grant %s: %w", name, err)
	}
	var version int64
	err := s.db.Update(func(tx *bolt.Tx) error {
		dep, err := tx.CreateBucketIfNotExists(bucketDeployment)
		if err != nil {
			return err
		}
		grants, err := dep.CreateBucketIfNotExists(bucketGrants)
		if err != nil {
			return err
		}
		stored, err := storedVersion(grants, name)
		if err != nil {
			return err
		}
		if stored != expect {
			return &VersionConflictError{Name: name, Expected: expect, Stored: stored}
		}
		version = stored + 1
		f := fields{"doc": string(doc)}
		f.setInt("version", version)
		f.setTime("updated", now())
		return grants.Put([]byte(name), encodeFields(f))
	})
	if err != nil {
		return 0, fmt.Errorf("put grant %s: %w", name, err)
	}
	return version, nil
}

// Grant implements GrantStore.
func (s *FileStore) Grant(ctx context.Context, name string) (GrantDoc, error) {
	if err := checkName("grant", name); err != nil {
		return GrantDoc{}, fmt.Errorf("read grant: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return GrantDoc{}, fmt.Errorf("read grant %s: %w", name, err)
	}
	var d GrantDoc
	err := s.db.View(func(tx *bolt.Tx) error {
		grants := grantsBucket(tx)
		if grants == nil {
			return ErrNotFound
		}
		f, err := getFields(grants, []byte(name))
		if err != nil {
			return err
		}
		d, err = fileIntegrationDoc(name, f)
		return err
	})
	if err != nil {
		return GrantDoc{}, fmt.Errorf("read grant %s: %w", name, err)
	}
	return d, nil
}

// DeleteGrant implements GrantStore.
func (s *FileStore) DeleteGrant(ctx context.Context, name string) error {
	if err := checkName("grant", name); err != nil {
		return fmt.Errorf("delete grant: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete grant %s: %w", name, err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		grants := grantsBucket(tx)
		if grants == nil {
			return nil
		}
		return grants.Delete([]byte(name))
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("delete grant %s: %w", name, err)
	}
	return nil
}

func grantsBucket(tx *bolt.Tx) *bolt.Bucket {
	dep := tx.Bucket(bucketDeployment)
	if dep == nil {
		return nil
	}
	return dep.Bucket(bucketGrants)
}
