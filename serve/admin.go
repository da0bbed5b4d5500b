package serve

import (
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sealed"
)

// Admin is what `sfcdc integrations` does to a deployment: the registry
// in its store, the instances' reports and each integration's state.
type Admin struct {
	Store    replay.Store
	Keys     *sealed.Keyring
	Registry *registry.Registry
}

// NewAdmin works on the deployment in store, whose secrets keys open.
func NewAdmin(store replay.Store, keys *sealed.Keyring) *Admin {
	return &Admin{Store: store, Keys: keys, Registry: registry.New(store, keys)}
}

// Close closes the store.
func (a *Admin) Close() error { return a.Store.Close() }
