package salesforce

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sync"
)

// Org is one simulated Salesforce org: its objects, records and event
// schemas. Committed changes become change events on its Bus. It is safe
// for concurrent use; transactions run one at a time.
type Org struct {
	cfg    Config
	clock  Clock
	bus    *Bus
	id     string
	userID string

	txMu sync.Mutex // serializes transactions, held while fn runs

	mu             sync.RWMutex // guards everything below
	cat            *catalog
	records        recordStore
	idCounters     map[string]uint64 // key prefix → records issued
	caseNumbers    int
	schemas        map[string]*EventSchema // every schema version by ID
	current        map[string]*EventSchema // entity → schema of new events
	platformEvents map[string]PlatformEvent
	rng            *rand.Rand
	commitNumber   int64
}

// NewOrg builds the org described by cfg on bus (which may be shared with
// nothing else) and registers its event schemas there. A nil clock is the
// system clock.
func NewOrg(cfg Config, clock Clock, bus *Bus) (*Org, error) {
	if bus == nil {
		return nil, fmt.Errorf("new org: %w: a Bus is required", ErrInvalidConfig)
	}
	cfg = cfg.clone()
	cat, err := buildCatalog(cfg)
	if err != nil {
		return nil, fmt.Errorf("new org: %w", err)
	}
	if clock == nil {
		clock = SystemClock{}
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	o := &Org{
		cfg: cfg, clock: clock, bus: bus, cat: cat,
		records:        newRecordStore(),
		idCounters:     map[string]uint64{},
		caseNumbers:    1000,
		schemas:        map[string]*EventSchema{},
		current:        map[string]*EventSchema{},
		platformEvents: map[string]PlatformEvent{},
		rng:            rand.New(rand.NewPCG(seed, seed^0x5f0c_dc5f_0c0d_c5f0)),
	}
	o.id, o.userID = cfg.OrgID, cfg.UserID
	if o.id == "" {
		o.id = newRecordID(PrefixOrganization, seed%(1<<40))
	}
	if o.userID == "" {
		o.userID = newRecordID(PrefixUser, 1+seed%(1<<30))
	}
	o.commitNumber = cfg.FirstCommitNumber
	if o.commitNumber == 0 {
		o.commitNumber = 1<<53 + int64(seed%(1<<40))
	}
	if err := o.buildSchemas(); err != nil {
		return nil, fmt.Errorf("new org: %w", err)
	}
	return o, nil
}

// ID is the 18-character organisation ID (00D…).
func (o *Org) ID() string { return o.id }

// UserID is the default user running DML (005…).
func (o *Org) UserID() string { return o.userID }

// Bus is the org's event log.
func (o *Org) Bus() *Bus { return o.bus }

// Clock is the org's time source.
func (o *Org) Clock() Clock { return o.clock }

func (o *Org) buildSchemas() error {
	for _, name := range o.cat.order {
		if err := o.refreshSchemaLocked(o.cat.objects[name]); err != nil {
			return err
		}
	}
	for _, pe := range o.cfg.PlatformEvents {
		if err := o.declarePlatformEventLocked(pe); err != nil {
			return err
		}
	}
	return nil
}

// refreshSchemaLocked (re)builds an object's change event schema and
// registers it. Old versions stay resolvable by ID.
func (o *Org) refreshSchemaLocked(obj *Object) error {
	if !obj.HasChangeEvent {
		return nil
	}
	s, err := changeEventSchema(obj)
	if err != nil {
		return err
	}
	o.registerSchemaLocked(s)
	return nil
}

func (o *Org) registerSchemaLocked(s *EventSchema) {
	if old, ok := o.schemas[s.ID]; ok {
		s = old // same JSON: keep the first, immutable copy
	}
	o.schemas[s.ID] = s
	o.current[s.Entity] = s
	o.bus.RegisterSchema(s.ID, s.JSON)
}

// Schema returns any schema version the org has used, by ID.
func (o *Org) Schema(id string) (*EventSchema, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	s, ok := o.schemas[id]
	return s, ok
}

// CurrentSchema returns the schema new events of entity are written with.
func (o *Org) CurrentSchema(entity string) (*EventSchema, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	s, ok := o.current[entity]
	return s, ok
}

// Object returns a copy of the named object's definition.
func (o *Org) Object(name string) (Object, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	obj, ok := o.cat.objects[name]
	if !ok {
		return Object{}, false
	}
	return *obj.clone(), true
}

// ObjectOfID returns the object whose key prefix starts id.
func (o *Org) ObjectOfID(id string) (Object, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	obj, err := o.cat.objectOfID(id)
	if err != nil {
		return Object{}, false
	}
	return *obj.clone(), true
}

// Objects returns copies of all objects in catalogue order.
func (o *Org) Objects() []Object {
	o.mu.RLock()
	defer o.mu.RUnlock()
	out := make([]Object, 0, len(o.cat.order))
	for _, name := range o.cat.order {
		out = append(out, *o.cat.objects[name].clone())
	}
	return out
}

// AddField adds a custom field to an object at runtime, as an admin would.
// Objects with a change event get a new schema (returned); events committed
// afterwards use it, and the old schema ID stays resolvable.
func (o *Org) AddField(object string, spec FieldSpec) (schemaID string, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.cat.addField(object, spec); err != nil {
		return "", err
	}
	obj := o.cat.objects[object]
	if err := o.refreshSchemaLocked(obj); err != nil {
		return "", fmt.Errorf("add field %s.%s: %w", object, spec.Name, err)
	}
	if !obj.HasChangeEvent {
		return "", nil
	}
	return o.current[object].ID, nil
}

// SelectForCDC selects or unselects an object for Change Data Capture,
// adding or removing its channel.
func (o *Org) SelectForCDC(object string, selected bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	obj, err := o.cat.object(object)
	if err != nil {
		return fmt.Errorf("select %s for CDC: %w", object, err)
	}
	if selected && !obj.HasChangeEvent {
		return fmt.Errorf("select %s for CDC: the object has no change event", object)
	}
	obj.CDCSelected = selected
	return nil
}

// nextIDLocked issues the next record ID of an object.
func (o *Org) nextIDLocked(prefix string) string {
	o.idCounters[prefix]++
	return newRecordID(prefix, o.idCounters[prefix])
}

// uuidLocked is a random (version 4 shaped) UUID from the org's seeded source.
func (o *Org) uuidLocked() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(o.rng.Uint32())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	// Hex-encoded by hand rather than with fmt: two UUIDs per transaction.
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	hex.Encode(out[9:13], b[4:6])
	hex.Encode(out[14:18], b[6:8])
	hex.Encode(out[19:23], b[8:10])
	hex.Encode(out[24:36], b[10:16])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return string(out[:])
}
