package backfill

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// ProgressView shows backfill progress to a person (`sfcdc backfill`'s
// standard error): a bar per object on a terminal (total from COUNT()),
// plain lines otherwise, at most one a second per object and always when
// an object is caught up.
//
// github.com/schollz/progressbar draws the bar: it is the most used Go
// progress bar, redraws in place with throttling, shows rate and time
// left, and needs no terminal library beyond ANSI codes. golang.org/x/term
// tells whether standard error is a terminal.
type ProgressView struct {
	w        io.Writer
	lines    bool
	bar      *progressbar.ProgressBar
	object   string
	lastLine time.Time
}

// lineEvery spaces the plain progress lines of one object.
const lineEvery = time.Second

// NewProgressView draws a bar when w is a terminal and lines is false.
func NewProgressView(w io.Writer, lines bool) *ProgressView {
	f, ok := w.(*os.File)
	return &ProgressView{w: w, lines: lines || !ok || !term.IsTerminal(int(f.Fd()))}
}

// Update shows p; it is a Backfill's progress callback (Options.Progress
// or engine.Backfill's). Call it from one goroutine at a time.
func (v *ProgressView) Update(p Progress) {
	switch {
	case p.Phase == PhaseWaiting:
		fmt.Fprintln(v.w, "caught up; waiting for the next poll")
	case p.Phase == PhaseBulkJob:
		fmt.Fprintf(v.w, "%s: Bulk API 2.0 query job %s is %s\n", p.Object, p.BulkJob, p.BulkState)
	case v.lines:
		v.line(p)
	default:
		v.draw(p)
	}
}

func (v *ProgressView) line(p Progress) {
	now := time.Now()
	if p.Phase == PhaseReading && p.Object == v.object && now.Sub(v.lastLine) < lineEvery {
		return
	}
	v.object, v.lastLine = p.Object, now
	state := "reading"
	if p.Phase == PhaseCaughtUp {
		state = "caught up"
	}
	fmt.Fprintf(v.w, "%s: %s, %d/%d records (%s), pass %d; %s\n",
		p.Object, state, p.Read, p.Total, percent(p.Read, p.Total), p.Pass, outcomeText(p.Counts))
}

func (v *ProgressView) draw(p Progress) {
	if v.bar == nil || p.Object != v.object {
		v.Done()
		v.object = p.Object
		v.bar = progressbar.NewOptions(max(p.Total, 1),
			progressbar.OptionSetWriter(v.w), progressbar.OptionSetDescription(p.Object),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("records"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionFullWidth(), progressbar.OptionClearOnFinish())
	}
	v.bar.ChangeMax(max(p.Total, p.Read, 1))
	_ = v.bar.Set(p.Read)
	if p.Phase == PhaseCaughtUp {
		v.Done()
		fmt.Fprintf(v.w, "%s: caught up, %d records; %s\n", p.Object, p.Read, outcomeText(p.Counts))
	}
}

// Done ends the current bar, if one is drawn.
func (v *ProgressView) Done() {
	if v.bar != nil {
		_ = v.bar.Finish()
		v.bar = nil
	}
}

func percent(n, total int) string {
	if total <= 0 {
		return "100%"
	}
	return fmt.Sprintf("%d%%", min(n*100/total, 100))
}

func outcomeText(c Counts) string {
	return fmt.Sprintf("%d created, %d updated, %d unchanged, %d deleted, %d dead-lettered",
		c.Created, c.TextUpdated+c.MetadataUpdated, c.Unchanged, c.Deleted, c.DeadLettered)
}
