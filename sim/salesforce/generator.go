package salesforce

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// supportAddress is the org's Email-to-Case mailbox.
const supportAddress = "support@sim-org.example.com"

// Generator makes realistic, reproducible support traffic in an org: cases
// opened by inbound email, customer replies and agent answers with
// multi-KB plain-text and HTML bodies, case comments, tasks, status
// changes, description edits, deletes and undeletes. The same seed on an
// org built with the same Config and clock yields the same records and
// events. A Generator is not safe for concurrent use.
type Generator struct {
	// OnCommit, if set, sees every transaction the generator commits.
	OnCommit func(Commit)
	// Gate, if set, pauses Run and Generate between activities.
	Gate *TrafficGate

	org      *Org
	rng      *rand.Rand
	text     textGen
	contacts []genContact
	open     []*genCase
	emails   []string    // live EmailMessage IDs
	comments []string    // live CaseComment IDs
	deleted  []string    // IDs in the recycle bin, oldest first
	ws       *workingSet // nil: unbounded (SetWorkingSet)
	// replaySafe: no deletes, undeletes or description edits (SetReplaySafe)
	replaySafe bool
}

type genContact struct {
	id, accountID, first, last, company, email string
}

type genCase struct {
	id, subject, threadID, description, lastMessageID string
	contact                                           genContact
	status                                            int // index into genStatuses
}

// NewGenerator returns a generator for org driven by seed.
func NewGenerator(org *Org, seed uint64) *Generator {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e37_79b9_7f4a_7c15))
	return &Generator{org: org, rng: rng, text: textGen{rng: rng}}
}

// Generate runs activities as fast as possible until exactly n events were
// appended to the bus, and returns how many were: n, unless ctx ends or an
// operation fails first. Near the end it runs only activities that change
// one record (StepAtMost), so the last step never overshoots. The same org,
// seed and n give the same traffic.
func (g *Generator) Generate(ctx context.Context, n int) (int, error) {
	events, silent := 0, 0
	for events < n {
		if _, err := g.Gate.begin(ctx); err != nil {
			return events, err
		}
		k, err := g.StepAtMost(n - events)
		g.Gate.end()
		events += k
		if err != nil {
			return events, err
		}
		// An org that publishes no change events for any object the
		// generator touches would otherwise keep this loop busy forever.
		if k == 0 {
			silent++
		} else {
			silent = 0
		}
		if silent >= maxSilentSteps {
			return events, fmt.Errorf("generate %d events: %d activities in a row produced no change event; "+
				"enable CDC for Case or EmailMessage (Config.NoChangeEvents)", n, silent)
		}
	}
	return events, nil
}

// maxSilentSteps is how many activities in a row may produce no event
// before Generate gives up. Only CaseComment is off by default, and it is
// a tenth of the mix, so a working org never gets near it.
const maxSilentSteps = 1000

// Upper bounds of the events one activity appends. Every record change
// makes at most one event: merging, overflow and objects without CDC only
// lower the count.
const (
	genCustomerAccounts = 5
	genContactsPerAcct  = 2
	// customersChanges: the accounts and contacts of createCustomers.
	customersChanges = genCustomerAccounts * (1 + genContactsPerAcct)
	// openCaseChanges: the case, its email and the case's SourceId; no
	// other activity of Step changes more records.
	openCaseChanges = 3
)

// StepAtMost runs one activity that appends at most limit events (limit
// must be at least 1) and returns how many it appended: an ordinary Step
// when every activity it may choose fits, otherwise an activity that
// changes exactly one record — a lone contact and a web case stand in for
// the first Step's customers and emailed case.
func (g *Generator) StepAtMost(limit int) (int, error) {
	if limit < 1 {
		return 0, fmt.Errorf("generator step: limit %d must be at least 1", limit)
	}
	most := openCaseChanges
	if len(g.contacts) == 0 {
		most = customersChanges
	}
	if limit >= most {
		return g.Step()
	}
	n, err := g.stepSingle()
	g.bound()
	return n, err
}

// Run generates about eventsPerSecond events per second of wall time until
// ctx is cancelled (then it returns nil) or an operation fails.
func (g *Generator) Run(ctx context.Context, eventsPerSecond float64) error {
	if eventsPerSecond <= 0 {
		return fmt.Errorf("run generator: rate %v events/s must be positive", eventsPerSecond)
	}
	start, events := time.Now(), 0
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		waited, err := g.Gate.begin(ctx)
		if err != nil { // only ctx ends a wait
			return nil
		}
		if waited { // resume at the rate, without catching up on the pause
			start, events = time.Now(), 0
		}
		k, err := g.Step()
		g.Gate.end()
		if err != nil {
			return err
		}
		events += k
		due := start.Add(time.Duration(float64(events) / eventsPerSecond * float64(time.Second)))
		timer.Reset(time.Until(due))
	}
}

// genActivity is one kind of step with its relative frequency.
type genActivity struct {
	weight int
	run    func(*Generator) (int, error)
}

var genActivities = []genActivity{
	{18, (*Generator).openCase},
	{20, (*Generator).customerReply},
	{20, (*Generator).agentReply},
	{10, (*Generator).addComment},
	{12, (*Generator).advanceStatus},
	{5, (*Generator).logTask},
	{5, (*Generator).editDescription},
	{6, (*Generator).deleteSomething},
	{4, (*Generator).undeleteSomething},
}

// Step runs one activity (the first call also creates accounts and
// contacts) and returns the number of events it produced.
func (g *Generator) Step() (int, error) {
	n, err := g.step()
	g.bound()
	return n, err
}

func (g *Generator) step() (int, error) {
	if len(g.contacts) == 0 {
		return g.createCustomers()
	}
	if len(g.open) == 0 {
		return g.openCase()
	}
	activities := genActivities
	if g.replaySafe {
		activities = genReplaySafeActivities
	}
	return g.roll(activities)
}

// genSingleChangeActivities is the mix of activities that change exactly
// one record, in the proportions of genActivities without openCase.
var genSingleChangeActivities = []genActivity{
	{20, (*Generator).customerReply},
	{20, (*Generator).agentReply},
	{10, (*Generator).addComment},
	{12, (*Generator).advanceStatus},
	{5, (*Generator).logTask},
	{5, (*Generator).editDescription},
	{6, (*Generator).deleteOne},
	{4, (*Generator).undeleteSomething},
}

// genReplaySafeSingleChangeActivities is genReplaySafeActivities without openCase.
var genReplaySafeSingleChangeActivities = []genActivity{
	{27, (*Generator).customerReply},
	{27, (*Generator).agentReply},
	{10, (*Generator).addComment},
	{13, (*Generator).advanceStatus},
	{5, (*Generator).logTask},
}

// stepSingle runs one activity that changes exactly one record.
func (g *Generator) stepSingle() (int, error) {
	if len(g.contacts) == 0 {
		return g.createLoneContact()
	}
	if len(g.open) == 0 {
		return g.openWebCase()
	}
	activities := genSingleChangeActivities
	if g.replaySafe {
		activities = genReplaySafeSingleChangeActivities
	}
	return g.roll(activities)
}

// roll picks one activity by weight and runs it.
func (g *Generator) roll(activities []genActivity) (int, error) {
	total := 0
	for _, a := range activities {
		total += a.weight
	}
	roll := g.rng.IntN(total)
	for _, a := range activities {
		if roll < a.weight {
			return a.run(g)
		}
		roll -= a.weight
	}
	return 0, errors.New("generator: no activity chosen")
}

// commit runs fn as a transaction and reports its events.
func (g *Generator) commit(fn func(*Tx) error) (int, error) {
	cm, err := g.org.Transaction(fn)
	if err != nil {
		return 0, fmt.Errorf("generate activity: %w", err)
	}
	if g.OnCommit != nil {
		g.OnCommit(cm)
	}
	return len(cm.Events), nil
}

func (g *Generator) createCustomers() (int, error) {
	return g.commit(func(tx *Tx) error {
		for _, company := range genCompanies[:genCustomerAccounts] {
			accountID, err := tx.Create("Account", Values{
				"Name": company, "Industry": "Technology", "Type": "Customer",
				"BillingAddress": Values{"City": g.text.pick([]string{"Berlin", "Lisbon", "Austin", "Osaka", "Lagos"}), "Country": "Freedonia"},
			})
			if err != nil {
				return err
			}
			for range genContactsPerAcct {
				first, last := g.text.personName()
				c := genContact{accountID: accountID, first: first, last: last, company: company, email: genEmailAddress(first, last, company)}
				if c.id, err = tx.Create("Contact", Values{"AccountId": accountID, "FirstName": first, "LastName": last, "Email": c.email}); err != nil {
					return err
				}
				g.contacts = append(g.contacts, c)
			}
		}
		return nil
	})
}

// createLoneContact is a customer whose company is not on file yet: one
// Contact without an Account.
func (g *Generator) createLoneContact() (int, error) {
	first, last := g.text.personName()
	company := g.text.pick(genCompanies)
	c := genContact{first: first, last: last, company: company, email: genEmailAddress(first, last, company)}
	return g.commit(func(tx *Tx) error {
		var err error
		if c.id, err = tx.Create("Contact", Values{"FirstName": first, "LastName": last, "Email": c.email}); err != nil {
			return err
		}
		g.contacts = append(g.contacts, c)
		return nil
	})
}

// openWebCase is Web-to-Case: the customer fills in the support form, so
// the case arrives without an email.
func (g *Generator) openWebCase() (int, error) {
	contact := g.contacts[g.rng.IntN(len(g.contacts))]
	c := &genCase{subject: g.text.subject(), contact: contact, threadID: string(appendHex([]byte("thread::"), g.rng.Uint64(), 16))}
	c.description = g.text.paragraph()
	return g.commit(func(tx *Tx) error {
		var err error
		c.id, err = tx.Create("Case", Values{
			"Subject": c.subject, "Description": c.description, "Status": "New", "Origin": "Web",
			"Priority": g.text.pick(genPriorities), "ContactId": contact.id, "AccountId": contact.accountID,
			"SuppliedEmail": contact.email, "SuppliedName": contact.first + " " + contact.last,
		})
		if err != nil {
			return err
		}
		g.open = append(g.open, c)
		return nil
	})
}

// emailLength is the size of a plain-text body; the HTML body is a
// little longer, so an email event is 5–10 KB.
func (g *Generator) emailLength() int { return 2200 + g.rng.IntN(2000) }

// openCase is Email-to-Case: a customer email creates a case whose
// Description is the email text, and the email is attached to it.
func (g *Generator) openCase() (int, error) {
	contact := g.contacts[g.rng.IntN(len(g.contacts))]
	c := &genCase{subject: g.text.subject(), contact: contact, threadID: string(appendHex([]byte("thread::"), g.rng.Uint64(), 16))}
	body, html := g.text.email(contact.first+" "+contact.last, "Support team", g.emailLength())
	c.description = body[:min(len(body), 1200+g.rng.IntN(1500))]
	return g.commit(func(tx *Tx) error {
		var err error
		c.id, err = tx.Create("Case", Values{
			"Subject": c.subject, "Description": c.description, "Status": "New", "Origin": "Email",
			"Priority": g.text.pick(genPriorities), "ContactId": contact.id, "AccountId": contact.accountID,
			"SuppliedEmail": contact.email, "SuppliedName": contact.first + " " + contact.last, "ContactEmail": contact.email,
		})
		if err != nil {
			return err
		}
		emailID, err := g.createEmail(tx, c, true, body, html)
		if err != nil {
			return err
		}
		g.open = append(g.open, c)
		return tx.Update(c.id, Values{"SourceId": emailID})
	})
}

func (g *Generator) customerReply() (int, error) {
	c := g.open[g.rng.IntN(len(g.open))]
	body, html := g.text.email(c.contact.first+" "+c.contact.last, "Support team", g.emailLength())
	return g.commit(func(tx *Tx) error { _, err := g.createEmail(tx, c, true, body, html); return err })
}

func (g *Generator) agentReply() (int, error) {
	c := g.open[g.rng.IntN(len(g.open))]
	body, html := g.text.email("The Support Team", c.contact.first, g.emailLength())
	return g.commit(func(tx *Tx) error { _, err := g.createEmail(tx, c, false, body, html); return err })
}

// createEmail stages an EmailMessage on the case: inbound from the
// contact, or outbound from the support mailbox. html is genEmailHTML(text).
func (g *Generator) createEmail(tx *Tx, c *genCase, incoming bool, text, html string) (string, error) {
	from, fromName, to, status, domain := c.contact.email, c.contact.first+" "+c.contact.last, supportAddress, "0", "mail.example.com"
	if !incoming {
		from, fromName, to, status, domain = supportAddress, "Support", c.contact.email, "3", "sim-org.example.com"
	}
	subject := c.subject
	if c.lastMessageID != "" {
		subject = "Re: " + subject
	}
	msgID := g.text.messageID(domain)
	v := Values{
		"ParentId": c.id, "Subject": subject, "TextBody": text, "HtmlBody": html,
		"FromAddress": from, "FromName": fromName, "ToAddress": to, "Incoming": incoming, "Status": status,
		"MessageDate": tx.now, "MessageIdentifier": msgID, "ThreadIdentifier": c.threadID,
	}
	if g.rng.IntN(4) == 0 {
		v["CcAddress"] = genEmailAddress(g.text.pick(genFirstNames), g.text.pick(genLastNames), c.contact.company)
	}
	if incoming {
		v["Headers"] = "Received: from " + domain + "\nMessage-ID: " + msgID + "\nFrom: " + fromName + " <" + from + ">\nTo: " + to + "\n"
	}
	id, err := tx.Create("EmailMessage", v)
	if err == nil {
		c.lastMessageID = msgID
		g.emails = append(g.emails, id)
	}
	return id, err
}

func (g *Generator) addComment() (int, error) {
	c := g.open[g.rng.IntN(len(g.open))]
	return g.commit(func(tx *Tx) error {
		id, err := tx.Create("CaseComment", Values{"ParentId": c.id, "CommentBody": g.text.paragraph(), "IsPublished": g.rng.IntN(3) == 0})
		if err == nil {
			g.comments = append(g.comments, id)
		}
		return err
	})
}

// advanceStatus moves a case along New → Working → Waiting/Escalated → Closed.
func (g *Generator) advanceStatus() (int, error) {
	i := g.rng.IntN(len(g.open))
	c := g.open[i]
	c.status = min(c.status+1+g.rng.IntN(2), len(genStatuses)-1)
	if genStatuses[c.status] == "Closed" {
		g.open = slices.Delete(g.open, i, i+1)
		defer g.retire(c.id) // after the commit: the close's event must precede the delay
	}
	return g.commit(func(tx *Tx) error {
		return tx.Update(c.id, Values{"Status": genStatuses[c.status], "Priority": g.text.pick(genPriorities)})
	})
}

func (g *Generator) logTask() (int, error) {
	c := g.open[g.rng.IntN(len(g.open))]
	return g.commit(func(tx *Tx) error {
		id, err := tx.Create("Task", Values{
			"WhatId": c.id, "WhoId": c.contact.id, "Subject": "Call " + c.contact.first + " about " + c.subject,
			"Description": g.text.paragraph(), "Status": "Completed", "Priority": "Normal", "TaskSubtype": "Call",
			"ActivityDate": tx.now, "CallDurationInSeconds": 60 + g.rng.IntN(900),
		})
		if err == nil {
			g.retire(id) // tasks are never touched again (the delay covers its event)
		}
		return err
	})
}

// editDescription appends an agent note: a small edit of a long text,
// which is what diff events are made of.
func (g *Generator) editDescription() (int, error) {
	c := g.open[g.rng.IntN(len(g.open))]
	c.description += "\n\nUpdate: " + g.text.pick(genAgentLines) + "\n"
	return g.commit(func(tx *Tx) error { return tx.Update(c.id, Values{"Description": c.description}) })
}

// deleteSomething moves an email, a comment or (rarely) a case to the
// recycle bin, or opens a case when there is nothing to spare.
func (g *Generator) deleteSomething() (int, error) { return g.deleteOr((*Generator).openCase) }

// deleteOne is deleteSomething that answers on a case instead of opening
// one, so it changes exactly one record.
func (g *Generator) deleteOne() (int, error) { return g.deleteOr((*Generator).agentReply) }

func (g *Generator) deleteOr(otherwise func(*Generator) (int, error)) (int, error) {
	var id string
	switch roll := g.rng.IntN(10); {
	case roll < 6 && len(g.emails) > 0:
		id, g.emails = takeRandom(g.rng, g.emails)
	case roll < 9 && len(g.comments) > 0:
		id, g.comments = takeRandom(g.rng, g.comments)
	case len(g.open) > 1:
		i := g.rng.IntN(len(g.open))
		id = g.open[i].id
		g.open = slices.Delete(g.open, i, i+1)
	default:
		return otherwise(g)
	}
	g.deleted = append(g.deleted, id)
	return g.commit(func(tx *Tx) error { return tx.Delete(id) })
}

// undeleteSomething restores the oldest record in the recycle bin.
func (g *Generator) undeleteSomething() (int, error) {
	if len(g.deleted) == 0 {
		return g.agentReply()
	}
	id := g.deleted[0]
	g.deleted = g.deleted[1:]
	g.restored(id)
	switch KeyPrefix(id) {
	case PrefixEmailMessage:
		g.emails = append(g.emails, id)
	case PrefixCaseComment:
		g.comments = append(g.comments, id)
	}
	return g.commit(func(tx *Tx) error { return tx.Undelete(id) })
}

func takeRandom(rng *rand.Rand, ids []string) (string, []string) {
	i := rng.IntN(len(ids))
	id := ids[i] // read before Delete shifts the slice
	return id, slices.Delete(ids, i, i+1)
}

// SampleEmailEvents returns n CREATE events of about 10 KB each for
// EmailMessage, encoded as the org would send them, with their writer
// schema: input for decoder and pipeline benchmarks.
func SampleEmailEvents(seed uint64, n int) (schemaJSON string, events []BusEvent, err error) {
	org, err := NewOrg(Config{Seed: seed}, nil, NewBus(nil, 0))
	if err != nil {
		return "", nil, err
	}
	g := NewGenerator(org, seed)
	if _, err := g.createCustomers(); err != nil {
		return "", nil, err
	}
	c := &genCase{subject: "Benchmark thread", contact: g.contacts[0], threadID: "thread::benchmark"}
	if c.id, err = org.Create("Case", Values{"Subject": c.subject}); err != nil {
		return "", nil, fmt.Errorf("sample email events: %w", err)
	}
	for range n {
		text, html := g.text.email("Sample Sender", "Support team", 4200+g.rng.IntN(600))
		cm, err := org.Transaction(func(tx *Tx) error { _, err := g.createEmail(tx, c, g.rng.IntN(2) == 0, text, html); return err })
		if err != nil {
			return "", nil, fmt.Errorf("sample email events: %w", err)
		}
		for _, ev := range cm.Events {
			events = append(events, ev.BusEvent)
		}
	}
	s, _ := org.CurrentSchema("EmailMessage")
	return s.JSON, events, nil
}
