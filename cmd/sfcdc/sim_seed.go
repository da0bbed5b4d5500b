package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/quote"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// seedPerTransaction is how many records one seeding transaction creates;
// they share its SystemModstamp, as bulk loads do in a real org.
const seedPerTransaction = 100

// seedRecords creates n records of object on a few cases, with emails of
// realistic length (1–3 KB), reproducibly from seed.
func seedRecords(org *sfsim.Org, object string, n int, seed string) error {
	if n <= 0 {
		return nil
	}
	switch object {
	case "EmailMessage", "CaseComment", "Task", "Case":
	default:
		return usageError{fmt.Errorf("--seed-object %s: want EmailMessage, CaseComment, Task or Case", quote.Value(object))}
	}
	rng := rand.New(rand.NewPCG(uint64(len(seed)), uint64(n)))
	cases, err := seedCases(org, max(1, min(n/50, 500)))
	if err != nil {
		return err
	}
	for done := 0; done < n; {
		_, err := org.Transaction(func(tx *sfsim.Tx) error {
			for i := 0; i < seedPerTransaction && done < n; i++ {
				if _, err := tx.Create(object, seedValues(object, cases[done%len(cases)], done, rng)); err != nil {
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

func seedValues(object, caseID string, i int, rng *rand.Rand) sfsim.Values {
	subject := fmt.Sprintf("Order %d: %s", 10000+i, seedWords(rng, 4))
	body := seedText(rng, 1000+rng.IntN(2000))
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

// seedText is about n bytes of sentences.
func seedText(rng *rand.Rand, n int) string {
	var b strings.Builder
	for b.Len() < n {
		s := seedWords(rng, 6+rng.IntN(10))
		b.WriteString(strings.ToUpper(s[:1]) + s[1:] + ". ")
	}
	return strings.TrimSpace(b.String())
}
