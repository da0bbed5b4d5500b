package mapper

import (
	"fmt"
	"html"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuClock measures the process's CPU time (user + system, all threads,
// so garbage collection is included). On a shared machine wall-clock
// throughput depends on the neighbours; comments per CPU-second does not,
// and is the per-core figure.
type cpuClock struct{ start time.Duration }

func startCPUClock() cpuClock { return cpuClock{processCPU()} }

func (c cpuClock) seconds() float64 { return (processCPU() - c.start).Seconds() }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchWords mixes ASCII, non-ASCII and characters JSON must escape, like
// the email corpus of performance.md §2.0.
var benchWords = []string{
	"order", "invoice", "délivery", "naïve", "customer", "refund", "please", "thanks", "shipment",
	"<b>", "R&D", `"quoted"`, "tab\there", "Grüße", "東京", "status", "tracking", "number", "today",
}

func benchText(r *rand.Rand, size int) string {
	var b strings.Builder
	for b.Len() < size {
		for range 12 {
			b.WriteString(benchWords[r.IntN(len(benchWords))])
			b.WriteByte(' ')
		}
		b.WriteString("\r\n")
	}
	return b.String()
}

// benchEmails builds EmailMessage records with a 5 KB text as HtmlBody and,
// withText, also as TextBody (~10 KB of bodies), plus the usual header
// fields.
func benchEmails(n int, withText bool) []Record {
	r := rand.New(rand.NewPCG(1, 2))
	recs := make([]Record, n)
	for i := range recs {
		text := benchText(r, 5000)
		htmlBody := "<html><body><p>" + strings.ReplaceAll(html.EscapeString(text), "\r\n", "</p>\n<p>") + "</p></body></html>"
		fields := map[string]any{
			"Subject": "Re: order " + fmt.Sprint(i), "HtmlBody": htmlBody,
			"FromAddress": "customer@example.com", "ToAddress": "support@acme.example; orders@acme.example",
			"CcAddress": "", "MessageDate": int64(1714557600000 + i), "ParentId": "5005e00000XYZabAAC",
			"Parent": map[string]any{"CaseNumber": "00001234"}, "Status": "0", "Incoming": true,
		}
		if withText {
			fields["TextBody"] = text
		}
		recs[i] = Record{Object: "EmailMessage", ID: fmt.Sprintf("02s5e00000%08d", i), Fields: fields}
	}
	return recs
}

// benchRecords distinct records are mapped in turn, so the figure is not
// that of one input mapped over and over.
const benchRecords = 256

// benchMapping measures Map — cleaning, both hashes and the comment JSON —
// over records built before the timer starts: decoding them (the pipeline
// does that before mapping) is not part of the measured time.
func benchMapping(b *testing.B, withText bool) {
	m := mustMapper(b, ObjectMapping{Object: "EmailMessage", Comment: CommentMapping{
		Properties: map[string]string{"Case Number": "Parent.CaseNumber"}}})
	recs := benchEmails(benchRecords, withText)
	var inBytes, outBytes int
	for _, r := range recs {
		inBytes += len(r.Fields["HtmlBody"].(string))
		if withText {
			inBytes += len(r.Fields["TextBody"].(string))
		}
	}
	b.ReportAllocs()
	cpu := startCPUClock()
	i := 0
	for b.Loop() {
		res, err := m.Map(recs[i%len(recs)])
		if err != nil {
			b.Fatal(err)
		}
		outBytes += len(res.JSON)
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "comments/s")
	b.ReportMetric(float64(i)/cpu.seconds(), "comments/cpu-s")
	b.ReportMetric(float64(inBytes)/float64(len(recs)), "record-bytes")
	b.ReportMetric(float64(outBytes)/float64(i), "json-bytes")
}

// BenchmarkMapEmailToJSON maps ~10 KB emails carrying TextBody and HtmlBody
// (the usual Email-to-Case shape) to comment JSON with both hashes.
func BenchmarkMapEmailToJSON(b *testing.B) { benchMapping(b, true) }

// BenchmarkMapHTMLOnlyEmailToJSON maps emails whose only body is HTML, so
// every comment goes through HTML-to-text conversion.
func BenchmarkMapHTMLOnlyEmailToJSON(b *testing.B) { benchMapping(b, false) }

func BenchmarkHTMLToText(b *testing.B) {
	recs := benchEmails(1, false)
	h := recs[0].Fields["HtmlBody"].(string)
	b.SetBytes(int64(len(h)))
	for b.Loop() {
		htmlToText(h)
	}
}

func BenchmarkCleanText(b *testing.B) {
	s := benchText(rand.New(rand.NewPCG(1, 2)), 5000)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		cleanText(s, true)
	}
}
