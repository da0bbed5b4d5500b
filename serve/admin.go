package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sfcdc/sfcdc/custody"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/sfcdc/sfcdc/salesforce"
	"io"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sealed"
	"go.yaml.in/yaml/v3"
)

// Admin is what `sfcdc integrations` does to a deployment: the registry
// in its store, the instances' reports and each integration's stored
// state. Each method writes its own report for the operator to w; none
// prints a secret.
type Admin struct {
	Store    replay.Store
	Keys     *sealed.Keyring
	Registry *registry.Registry
	// StopWait bounds how long Delete with purge waits for the instances
	// to stop the integration (their reports gone) before it purges.
	// Zero: a minute.
	StopWait time.Duration
	// Now is the clock of the "since" columns; nil: time.Now.
	Now func() time.Time
	// Check, when set, asks the services each applied integration names
	// (CheckServices); a problem refuses the whole apply, as a bad file does.
	Check func(context.Context, integration.Spec) []string
}

// CheckServices asks the services an integration names what `sfcdc
// validate` asks them, reading only: the Salesforce session and every
// object, field and topic, then CM's token, project and source. Each
// problem is one line with its cause and fix.
func CheckServices(ctx context.Context, spec integration.Spec) []string {
	var r engine.Report
	if err := engine.CheckSalesforce(ctx, spec, &r); err != nil {
		r.AddProblem(err.Error())
	}
	r.AddProblem(engine.CheckCommsMining(ctx, spec.CommsMining))
	return r.Problems
}

// NewAdmin works on the deployment in store, whose secrets keys open.
func NewAdmin(store replay.Store, keys *sealed.Keyring) *Admin {
	return &Admin{Store: store, Keys: keys, Registry: registry.New(store, keys)}
}

// Close closes the store.
func (a *Admin) Close() error { return a.Store.Close() }

func (a *Admin) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Apply reads the integrations at path (one file, holding one or a list,
// or a folder of them; ${VAR} from env) and applies them, or with dryRun
// says what applying would change and writes nothing. Every problem of
// every integration (and, with Check, what its services refused) is named
// at once and then nothing is written (registry.ErrInvalid).
func (a *Admin) Apply(ctx context.Context, path string, env integration.Env, dryRun bool, w io.Writer) error {
	if path == "" {
		return fmt.Errorf("%w: -f FILE|DIR is required: an integration file, a YAML list of them, or a folder of such files", registry.ErrInvalid)
	}
	specs, err := registry.ReadSpecs(path, env)
	if err != nil {
		return err
	}
	if a.Check != nil {
		var problems []string
		for _, spec := range specs {
			for _, p := range a.Check(ctx, spec) {
				problems = append(problems, spec.Name+": "+p)
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("%w: nothing was applied; Salesforce or CM refused:\n%s", registry.ErrInvalid, strings.Join(problems, "\n"))
		}
	}
	var changes []registry.Change
	if dryRun {
		changes, err = a.Registry.Plan(ctx, specs)
	} else {
		changes, err = a.Registry.Apply(ctx, specs)
	}
	registry.WriteChanges(w, changes)
	if dryRun && err == nil {
		fmt.Fprintln(w, "dry run: nothing was written")
	}
	return err
}

// List prints every integration with its state and reason, and each unit
// with its state and the instance holding it; asJSON prints the
// IntegrationView array.
func (a *Admin) List(ctx context.Context, w io.Writer, asJSON bool) error {
	views, err := ReadOverview(ctx, a.Registry, a.Store)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(w, views)
	}
	if len(views) == 0 {
		fmt.Fprintln(w, "no integrations; add one with `sfcdc integrations apply -f FILE`")
		return nil
	}
	WriteOverview(w, views, a.now())
	return nil
}

// Shown is one integration as `sfcdc integrations show --json` prints
// it: its overview and its spec with every secret masked.
type Shown struct {
	IntegrationView
	Spec map[string]any `json:"spec"`
}

// Show prints one integration: its overview, then its spec as YAML with
// every secret shown as registry.MaskedSecret.
func (a *Admin) Show(ctx context.Context, name string, w io.Writer, asJSON bool) error {
	in, err := a.Registry.Get(ctx, name)
	if err != nil {
		return err
	}
	views, err := ReadOverview(ctx, a.Registry, a.Store)
	if err != nil {
		return err
	}
	shown := Shown{IntegrationView: IntegrationView{Name: name, State: StateUnassigned, Version: in.Version}}
	for _, v := range views {
		if v.Name == name {
			shown.IntegrationView = v
		}
	}
	text, err := yaml.Marshal(registry.Masked(in.Spec))
	if err == nil {
		err = yaml.Unmarshal(text, &shown.Spec)
	}
	if err != nil {
		return fmt.Errorf("show %s: %w", name, err)
	}
	if asJSON {
		return writeJSON(w, shown)
	}
	WriteOverview(w, []IntegrationView{shown.IntegrationView}, a.now())
	fmt.Fprintf(w, "\n# %s, version %d (secrets are stored sealed and never shown)\n%s", name, in.Version, text)
	return nil
}

// Disable stops an integration on every instance until Enable; reason is
// the operator's note, shown by List.
func (a *Admin) Disable(ctx context.Context, name, reason string, w io.Writer) error {
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("%w: --reason is required: say why it is disabled (list shows it)", registry.ErrInvalid)
	}
	in, err := a.Registry.Disable(ctx, name, registry.ReasonUser, reason)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "disabled   %s (version %d): %s: %s; every instance stops it within its poll interval\n",
		name, in.Version, in.Disabled.Reason, in.Disabled.Note)
	return nil
}

// Enable runs a disabled integration again, whatever disabled it.
func (a *Admin) Enable(ctx context.Context, name string, w io.Writer) error {
	in, err := a.Registry.Enable(ctx, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "enabled    %s (version %d)\n", name, in.Version)
	return nil
}

// Delete removes an integration from the registry, so every instance
// stops it. Its stored state (checkpoints, watermarks, hashes, dead
// letters, status) is kept unless purge: then Delete waits until no
// instance reports running it (each drained and wrote its last
// checkpoint), at most StopWait, and removes it. With purge, a name no
// longer in the registry is purged all the same.
func (a *Admin) Delete(ctx context.Context, name string, purge bool, w io.Writer) error {
	in, err := a.Registry.Delete(ctx, name)
	switch {
	case err == nil:
		fmt.Fprintf(w, "deleted    %s (was version %d); every instance stops it within its poll interval\n", name, in.Version)
	case purge && errors.Is(err, registry.ErrUnknown):
		fmt.Fprintf(w, "%s is not in the registry; purging what it left in the store\n", name)
	default:
		return err
	}
	if err == nil {
		a.dropGrant(ctx, in.Spec, w)
	}
	if !purge {
		fmt.Fprintf(w, "its stored state (checkpoints, hashes, dead letters) is kept: the same name applied again resumes from it; `sfcdc integrations delete %s --purge` removes it\n", name)
		return nil
	}
	if err := a.awaitStopped(ctx, name); err != nil {
		return err
	}
	n, err := replay.NewScoped(a.Store, name).Purge(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "purged     %s: %d stored items removed\n", name, n)
	return nil
}

// awaitStopped waits until no instance reports running the integration.
func (a *Admin) awaitStopped(ctx context.Context, name string) error {
	wait := a.StopWait
	if wait <= 0 {
		wait = time.Minute
	}
	deadline := time.Now().Add(wait)
	for {
		reps, err := ReadReports(ctx, a.Store)
		if err != nil {
			return fmt.Errorf("read the instances' reports: %w", err)
		}
		var running []string
		for _, r := range reps {
			if r.Integration == name {
				running = append(running, r.Instance)
			}
		}
		if len(running) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still runs on %s after %s; its state was not purged: run `sfcdc integrations delete %s --purge` again once it stopped",
				name, strings.Join(running, ", "), wait, quote.Value(name))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// RotateKey reseals every integration's secrets with the keyring's
// primary key (the first of SFCDC_SECRET_KEY or the key file), so the
// older keys can then be removed from every instance.
func (a *Admin) RotateKey(ctx context.Context, w io.Writer) error {
	n, err := a.Registry.RotateKey(ctx)
	fmt.Fprintf(w, "resealed %d integrations with key %s\n", n, a.Keys.PrimaryID())
	if err == nil {
		fmt.Fprintln(w, "once every instance has the new key first, the older keys can be removed from their keyrings")
	}
	return err
}

// GenerateKey prints a new keyring entry ("ID:KEY") for SFCDC_SECRET_KEY
// or a key file; to rotate, put it first, keep the old key after it, and
// run rotate-key.
func GenerateKey(w io.Writer) error {
	key, err := sealed.GenerateKey()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, key)
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// dropGrant revokes a deleted hosted integration's grant at Salesforce
// (freeing one of the user's five approvals) and destroys its ciphertext.
// The ciphertext goes even when Salesforce cannot be reached: the line
// says so, and the customer's admin can revoke the app's token in the org.
func (a *Admin) dropGrant(ctx context.Context, spec integration.Spec, w io.Writer) {
	vault := custody.NewVault(a.Store, a.Keys)
	g, err := vault.Load(ctx, spec.Name)
	if err != nil {
		return // no grant (or none readable): nothing to revoke
	}
	if g.RefreshToken != "" && spec.Salesforce.Auth.Flow == string(salesforce.FlowWebServer) {
		ref, err := salesforce.NewRefresher(spec.Salesforce.Auth.SalesforceConfig(spec.Salesforce.CAFile, nil))
		if err == nil {
			err = ref.Revoke(ctx, g.RefreshToken)
			ref.Close()
		}
		if err != nil {
			fmt.Fprintf(w, "warning    could not revoke its Salesforce grant (%v); revoke the app's token in the org (Setup > Connected Apps OAuth Usage)\n", redact.Text(err.Error()))
		} else {
			fmt.Fprintf(w, "revoked    its Salesforce grant (org %s)\n", g.OrgID)
		}
	}
	if err := vault.Delete(ctx, spec.Name); err != nil {
		fmt.Fprintf(w, "warning    could not remove its stored grant: %v\n", err)
		return
	}
	fmt.Fprintf(w, "destroyed  its stored grant\n")
}
