package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/replay"
)

// The org ID of a store is kept in the store itself, so that the tools
// reading only the store (status, replay, deadletters) need no Salesforce
// session to know under which org the state is kept. It is a watermark
// (its record ID field holds the org ID) under a reserved org name that no
// Salesforce org ID can be: org IDs are letters and digits only.
const (
	orgRecordOrg  = "_sfcdc"
	orgRecordName = "org id"
)

// RememberOrg stores the org ID that run and backfill learnt from the
// session. A failure only logs: the command goes on, and the tools fall
// back to salesforce.tenant_id.
func RememberOrg(ctx context.Context, store replay.WatermarkStore, org string, log *slog.Logger) {
	if err := store.SaveWatermark(ctx, orgRecordOrg, orgRecordName, replay.Watermark{Modstamp: time.Now(), RecordID: org}); err != nil {
		log.Warn("store the org ID for status, replay and deadletters", "err", err)
	}
}

// ErrOrgUnknown is the error of a tool that cannot name the org offline.
var ErrOrgUnknown = errors.New("name the org: neither salesforce.tenant_id nor the store knows the org ID: " +
	"set salesforce.tenant_id (or SFCDC_TENANT_ID) to the 15- or 18-character org ID, or run `sfcdc run` or " +
	"`sfcdc backfill` once with this store, which keeps it there")

// StoredOrg names the org whose state a tool reads: salesforce.tenant_id
// when set, else the org ID run or backfill stored, both without
// Salesforce. Only when neither knows it (a store no run has used yet) is
// the session asked, briefly; when that fails too, the error says how to
// name the org offline.
func StoredOrg(ctx context.Context, sf integration.Salesforce, store replay.WatermarkStore) (string, error) {
	if sf.TenantID != "" {
		return sf.TenantID, nil
	}
	w, err := store.Watermark(ctx, orgRecordOrg, orgRecordName)
	switch {
	case errors.Is(err, replay.ErrNotFound), err == nil && replay.CheckOrgID(w.RecordID) != nil:
		return sessionOrg(ctx, sf)
	case err != nil:
		return "", fmt.Errorf("name the org: read the org ID from the store: %w", err)
	}
	return w.RecordID, nil
}

// sessionOrgTimeout bounds the one question to Salesforce of a tool that
// otherwise reads only the store.
const sessionOrgTimeout = 10 * time.Second

// sessionOrg asks the configured Salesforce session for its org ID.
func sessionOrg(ctx context.Context, sf integration.Salesforce) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, sessionOrgTimeout)
	defer cancel()
	creds := Credentials(sf, nil) // a failure here is the error below, not retry warnings
	sess, err := creds.Current(ctx)
	if err != nil || replay.CheckOrgID(sess.TenantID) != nil {
		return "", integration.Invalid(ErrOrgUnknown)
	}
	return sess.TenantID, nil
}
