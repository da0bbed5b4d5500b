package pipeline_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/mapper"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

var casesAndEmails = []mapper.ObjectMapping{{Object: "Case"}, {Object: "EmailMessage"}}

func caseValues(i int) sfsim.Values {
	return sfsim.Values{"Subject": fmt.Sprintf("Printer on fire #%d", i), "Description": fmt.Sprintf("It smokes, case %d.", i),
		"Status": "New", "Origin": "Email"}
}

func emailValues(caseID string, i int) sfsim.Values {
	return sfsim.Values{
		"ParentId": caseID, "Subject": fmt.Sprintf("Order question %d", i),
		"TextBody":    fmt.Sprintf("Hello, this is message %d about my order. When does it ship? Ada", i),
		"FromAddress": "ada@example.com", "ToAddress": "support@example.com", "Incoming": true, "Status": "0",
		"MessageDate": time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
	}
}

func TestCasesAndEmailsBecomeCommentsAndTheCheckpointReachesTheLastEvent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/ChangeEvents"
	r := w.start(t, setup{topic: topic, objects: casesAndEmails})

	var cases, emails []string
	for i := range 3 {
		id, _ := w.create(t, "Case", caseValues(i))
		cases = append(cases, id)
		for j := range 2 {
			email, _ := w.create(t, "EmailMessage", emailValues(id, 2*i+j))
			emails = append(emails, email)
		}
	}
	// An UPDATE carries only the changed body: the worker must fetch the
	// record to rebuild the whole comment.
	if err := w.Sim.Org.Update(emails[0], sfsim.Values{"TextBody": "Never mind, it arrived."}); err != nil {
		t.Fatal(err)
	}
	last := sfsim.EncodeReplayID(w.Sim.Bus.Tip())

	eventually(t, "CM holds every case and email", func() bool {
		return w.CMHas("Case", cases...) && w.CMHas("EmailMessage", emails...)
	})
	eventually(t, "the email update reaches CM", func() bool {
		c, _ := w.CM.Comment(cmProject, cmSource, mapper.CommentID("EmailMessage", emails[0]))
		return len(c.Messages) > 0 && strings.Contains(c.Messages[0].Body, "Never mind, it arrived.")
	})
	eventually(t, "the checkpoint reaches the last event", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })
	r.stop(t)

	c, _ := w.CM.Comment(cmProject, cmSource, mapper.CommentID("EmailMessage", emails[1]))
	if got := c.ThreadID; got == "" {
		t.Errorf("email comment has no thread ID, want its case's")
	}
	if got, want := len(w.CM.Comments(cmProject, cmSource)), len(cases)+len(emails); got != want {
		t.Errorf("CM holds %d comments, want %d", got, want)
	}
	if got := bytes.Equal(w.Checkpoint(t, topic), last); !got {
		t.Errorf("checkpoint after stop = %x, want %x", w.Checkpoint(t, topic), last)
	}
}

func TestCheckpointNeverPassesAnEventCMHasNotAccepted(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/CaseChangeEvent"
	// One comment per request, so CM can accept 4 while 3 keeps failing.
	oneByOne := func(c *uploader.Config) { c.MaxBatchComments = 1 }
	r := w.start(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "Case"}}, upload: oneByOne})

	const refused = "refused-by-cm"
	w.Gate.Fail(refused)
	ids := make([]string, 5)
	positions := make([][]byte, 5)
	for i := range ids {
		v := caseValues(i)
		if i == 2 || i == 4 { // events 3 and 5
			v["Description"] = fmt.Sprintf("Case %d, %s.", i, refused)
		}
		ids[i], positions[i] = w.create(t, "Case", v)
	}
	eventually(t, "CM accepts events 1, 2 and 4", func() bool { return w.CMHas("Case", ids[0], ids[1], ids[3]) })
	if w.CMHas("Case", ids[2]) || w.CMHas("Case", ids[4]) {
		t.Fatal("CM holds a comment the gate refuses")
	}
	eventually(t, "the checkpoint reaches event 2", func() bool { return bytes.Equal(w.Checkpoint(t, topic), positions[1]) })
	r.stop(t)
	if got := w.Checkpoint(t, topic); !bytes.Equal(got, positions[1]) {
		t.Fatalf("checkpoint after stop = %x, want event 2's %x", got, positions[1])
	}

	w.Gate.Heal()
	r = w.start(t, setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "Case"}}, upload: oneByOne})
	eventually(t, "CM holds every comment after the restart", func() bool { return w.CMHas("Case", ids...) })
	eventually(t, "the checkpoint reaches event 5", func() bool { return bytes.Equal(w.Checkpoint(t, topic), positions[4]) })
	r.stop(t)
}

func TestRestartResumesFromTheCheckpointWithNothingLost(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const topic = "/data/EmailMessageChangeEvent"
	emailsOnly := setup{topic: topic, objects: []mapper.ObjectMapping{{Object: "EmailMessage"}}}
	caseID, err := w.Sim.Org.Create("Case", caseValues(0))
	if err != nil {
		t.Fatal(err)
	}
	r := w.start(t, emailsOnly)
	var ids []string
	var last []byte
	for i := range 3 {
		var id string
		id, last = w.create(t, "EmailMessage", emailValues(caseID, i))
		ids = append(ids, id)
	}
	eventually(t, "the first emails reach CM", func() bool { return w.CMHas("EmailMessage", ids...) })
	eventually(t, "the checkpoint reaches the third email", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })
	r.stop(t)

	for i := 3; i < 6; i++ { // written while no worker runs
		var id string
		id, last = w.create(t, "EmailMessage", emailValues(caseID, i))
		ids = append(ids, id)
	}
	r = w.start(t, emailsOnly)
	eventually(t, "every email reaches CM", func() bool { return w.CMHas("EmailMessage", ids...) })
	eventually(t, "the checkpoint reaches the sixth email", func() bool { return bytes.Equal(w.Checkpoint(t, topic), last) })
	r.stop(t)

	st := w.CM.Stats()
	if st.New != 6 || st.CommentsReceived != 6 {
		t.Errorf("CM created %d and received %d comments, want 6 and 6: the restart re-sent or lost some", st.New, st.CommentsReceived)
	}
}
