package simrun

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/quote"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// SeedObjects are the objects Config.SeedObject may name.
var SeedObjects = []string{"EmailMessage", "CaseComment", "Task", "Case"}

// seedPerTransaction is how many records one seeding transaction creates;
// they share its SystemModstamp, as bulk loads do in a real org.
const seedPerTransaction = 100

// seedRecords creates n records of object on a few cases, with emails of
// realistic length (1–3 KB), reproducibly from seed.
func seedRecords(org *sfsim.Org, object string, n int, seed string) error {
	if n <= 0 {
		return nil
	}
	if !slices.Contains(SeedObjects, object) {
		return fmt.Errorf("seed %s records: %w: want %s", quote.Value(object), ErrConfig, strings.Join(SeedObjects, ", "))
	}
	rng := rand.New(rand.NewPCG(uint64(len(seed)), uint64(n)))
	corpus := newSeedCorpus(rng)
	cases, err := seedCases(org, max(1, min(n/50, 500)))
	if err != nil {
		return err
	}
	for done := 0; done < n; {
		_, err := org.Transaction(func(tx *sfsim.Tx) error {
			for i := 0; i < seedPerTransaction && done < n; i++ {
				if _, err := tx.Create(object, seedValues(object, cases[done%len(cases)], done, rng, corpus)); err != nil {
					return err
				}
				done++
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed %d %s records: %w", n, object, err)
		}
	}
	return nil
}

func seedCases(org *sfsim.Org, n int) ([]string, error) {
	ids := make([]string, 0, n)
	_, err := org.Transaction(func(tx *sfsim.Tx) error {
		for i := range n {
			id, err := tx.Create("Case", sfsim.Values{"Subject": fmt.Sprintf("Seeded case %d", i), "Status": "New", "Origin": "Email"})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

func seedValues(object, caseID string, i int, rng *rand.Rand, corpus *seedCorpus) sfsim.Values {
	subject := fmt.Sprintf("Order %d: %s", 10000+i, seedWords(rng, 4))
	body := corpus.cut(rng, 1000+rng.IntN(2000))
	switch object {
	case "EmailMessage":
		return sfsim.Values{"ParentId": caseID, "Subject": subject, "TextBody": body,
			"FromAddress": fmt.Sprintf("customer%d@example.com", i%997), "ToAddress": "support@example.com",
			"Incoming": i%2 == 0, "Status": "0", "MessageDate": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)}
	case "CaseComment":
		return sfsim.Values{"ParentId": caseID, "CommentBody": body[:min(len(body), 3900)], "IsPublished": i%3 == 0}
	case "Task":
		return sfsim.Values{"WhatId": caseID, "Subject": subject, "Description": body, "Status": "Completed", "Priority": "Normal"}
	}
	return sfsim.Values{"Subject": subject, "Description": body, "Status": "New", "Origin": "Email"}
}

var seedVocabulary = strings.Fields("order parcel delivery refund invoice account password reset shipping address " +
	"please thanks hello team customer support ticket issue update tracking number payment card declined " +
	"warehouse courier label return exchange size colour broken missing late arrived yesterday today monday")

func seedWords(rng *rand.Rand, n int) string {
	words := make([]string, n)
	for i := range words {
		words[i] = seedVocabulary[rng.IntN(len(seedVocabulary))]
	}
	return strings.Join(words, " ")
}

// seedCorpusBytes is the size of the text every seeded body is cut from.
const seedCorpusBytes = 1 << 20

// seedCorpus is one long run of sentences; each seeded body is a stretch
// of it, from a sentence start to a sentence end. A Go substring shares
// its backing array, so 60,000 bodies of 1-3 KB cost one megabyte instead
// of 120 MB (they were written one by one before, and were most of the
// memory of `sfcdc sim --seed-records 60000`), while every record still
// carries its own realistic text.
type seedCorpus struct {
	text   string
	starts []int // offsets of the sentences
}

func newSeedCorpus(rng *rand.Rand) *seedCorpus {
	var b strings.Builder
	b.Grow(seedCorpusBytes + 256)
	c := &seedCorpus{}
	for b.Len() < seedCorpusBytes {
		c.starts = append(c.starts, b.Len())
		s := seedWords(rng, 6+rng.IntN(10))
		b.WriteString(strings.ToUpper(s[:1]))
		b.WriteString(s[1:])
		b.WriteString(". ")
	}
	c.text = b.String()
	return c
}

// cut is about n bytes (n < 4 KB) of whole sentences.
func (c *seedCorpus) cut(rng *rand.Rand, n int) string {
	// Starts late enough in the corpus leave no room for n bytes.
	room := sort.SearchInts(c.starts, len(c.text)-n-256)
	i := rng.IntN(max(room, 1))
	start := c.starts[i]
	j := sort.SearchInts(c.starts, start+n)
	end := len(c.text)
	if j < len(c.starts) {
		end = c.starts[j]
	}
	return strings.TrimSpace(c.text[start:end])
}
