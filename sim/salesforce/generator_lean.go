package salesforce

// workingSet bounds what a Generator remembers and what it leaves in the
// org, so that a run of any length holds a constant amount of records.
type workingSet struct {
	limit int    // most open cases, live emails, live comments and recycle-bin entries kept
	delay uint64 // events appended after a record retires before it is forgotten
	// retired are records the generator will never touch again, oldest
	// first, with the bus tip at their retirement.
	retired []retiredRecord
	// done are retired records no pending change can need fetched: emails
	// whose last change was their create (mapped from the event itself) or
	// a delete. They are forgotten without the delay.
	done []string
	// undeleted are live emails restored from the recycle bin: an undelete
	// is fetched, so they retire with the delay.
	undeleted map[string]bool
}

type retiredRecord struct {
	id  string
	tip uint64
}

// forgetBatch is how many due records are forgotten at once (Org.Forget
// costs one pass over each object's ID list).
const forgetBatch = 256

// SetWorkingSet bounds the generator's memory and the org's for long
// runs: the generator keeps at most limit open cases, live emails, live
// case comments and recycle-bin entries (the oldest leave the working set
// first, as cases go cold), and a record that left it — or a task, or a
// closed case, which are never touched again — is forgotten by the org
// (Org.Forget) once delay more events have been appended to the bus. The
// driver must make sure every change event older than delay events has
// been processed (its REST fetch done) by then. Zero limit: unbounded
// (the default).
func (g *Generator) SetWorkingSet(limit int, delay uint64) {
	if limit <= 0 {
		g.ws = nil
		return
	}
	g.ws = &workingSet{limit: limit, delay: delay, undeleted: map[string]bool{}}
}

// restored notes an undeleted record (its undelete event is fetched).
func (g *Generator) restored(id string) {
	if g.ws != nil && KeyPrefix(id) == PrefixEmailMessage {
		g.ws.undeleted[id] = true
	}
}

// retire marks a record as never touched again by the generator.
func (g *Generator) retire(id string) {
	if g.ws == nil {
		return
	}
	g.ws.retired = append(g.ws.retired, retiredRecord{id: id, tip: g.org.bus.Tip()})
}

// bound trims the working set to its limit and forgets the records whose
// delay has passed.
func (g *Generator) bound() {
	ws := g.ws
	if ws == nil {
		return
	}
	for len(g.open) > ws.limit {
		g.retire(g.open[0].id)
		g.open = g.open[1:]
	}
	trim := func(ids []string, quick func(id string) bool) []string {
		for len(ids) > ws.limit {
			if id := ids[0]; quick(id) {
				ws.done = append(ws.done, id)
			} else {
				g.retire(id)
			}
			delete(ws.undeleted, ids[0])
			ids = ids[1:]
		}
		return ids
	}
	// Emails are most of the org's memory. One that was never undeleted
	// had only its create, which the pipeline maps from the event; a
	// record in the recycle bin had its delete last, which is never
	// fetched either.
	g.emails = trim(g.emails, func(id string) bool { return !ws.undeleted[id] })
	g.comments = trim(g.comments, func(string) bool { return false })
	g.deleted = trim(g.deleted, func(string) bool { return true })
	if len(ws.done) >= forgetBatch {
		g.org.Forget(ws.done...)
		ws.done = ws.done[:0]
	}
	// retired is in tip order, so a batch is due exactly when its last
	// member is: one comparison per step instead of a scan.
	tip := g.org.bus.Tip()
	if len(ws.retired) < forgetBatch || ws.retired[forgetBatch-1].tip+ws.delay > tip {
		return
	}
	due := forgetBatch
	for due < len(ws.retired) && ws.retired[due].tip+ws.delay <= tip {
		due++
	}
	ids := make([]string, due)
	for i := range due {
		ids[i] = ws.retired[i].id
	}
	g.org.Forget(ids...)
	ws.retired = append(ws.retired[:0:0], ws.retired[due:]...)
}

// StepOne runs an activity that appends exactly one event (a reply email
// on an open case), for drivers that must stop at an exact event count.
// Before the first Step it runs Step.
func (g *Generator) StepOne() (int, error) {
	if len(g.contacts) == 0 || len(g.open) == 0 {
		return g.Step()
	}
	n, err := g.customerReply()
	g.bound()
	return n, err
}

// genReplaySafeActivities is the mix without deletes, undeletes and
// description edits (their weights go to replies and status changes).
var genReplaySafeActivities = []genActivity{
	{18, (*Generator).openCase},
	{27, (*Generator).customerReply},
	{27, (*Generator).agentReply},
	{10, (*Generator).addComment},
	{13, (*Generator).advanceStatus},
	{5, (*Generator).logTask},
}

// SetReplaySafe makes the traffic safe to replay from a reset checkpoint
// at no billing cost: no deletes or undeletes (a replay would re-create a
// comment deleted in between, which CM bills again) and no description
// edits (a replay fetching a case before its later edits would send CM an
// older text than it holds). Status changes stay: they change metadata,
// which CM does not bill.
func (g *Generator) SetReplaySafe(safe bool) { g.replaySafe = safe }
