package pubsub

import (
	"context"
	"html"
	"math/rand/v2"
	"strings"
	"testing"

	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
)

// benchWords mixes plain words, non-ASCII and characters JSON and HTML must
// escape, as real email bodies do.
var benchWords = []string{
	"order", "invoice", "delivery", "thanks", "regards", "please", "customer", "support",
	"Grüße", "naïve", "東京", "café", "<b>", "&", "\"quoted\"", "\tindent", "ticket", "#4711",
}

func benchBody(rng *rand.Rand, size int) string {
	var b strings.Builder
	for b.Len() < size {
		b.WriteString(benchWords[rng.IntN(len(benchWords))])
		if rng.IntN(12) == 0 {
			b.WriteString(".\n")
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// benchEmailPayload is an UPDATE that rewrote the bodies of an email: every
// field set, a changed-fields bitmap with a compound entry to expand.
func benchEmailPayload(rng *rand.Rand) map[string]any {
	text := benchBody(rng, 2048+rng.IntN(6144))
	ms := int64(1717171717000) + rng.Int64N(1e9)
	return map[string]any{
		"ChangeEventHeader": emailHeader(ChangeUpdate, []string{"0x10000400E", "33-0x06"}, []string{"0x4000"}, nil),
		"Subject":           "Re: " + benchBody(rng, 40), "TextBody": text,
		"HtmlBody":    "<html><body><p>" + html.EscapeString(text) + "</p></body></html>",
		"FromAddress": "customer@example.com", "FromName": "A Customer", "ToAddress": "support@example.com",
		"CcAddress": "cc@example.com", "BccAddress": "bcc@example.com", "Headers": "Received: from mx.example.com",
		"MessageDate": ms, "ParentId": "5005j00000XyZabAAB", "ActivityId": "00T5j00000AbCdEAAZ",
		"RelatedToId": "0015j00000AbCdEAAZ", "Status": "3", "Incoming": true, "HasAttachment": false,
		"IsExternallyVisible": true, "MessageIdentifier": "<m1@example.com>", "ThreadIdentifier": "<t1@example.com>",
		"ReplyToEmailMessageId": "02s5j00000AbCdFAAZ", "ValidatedFromAddress": "customer@example.com",
		"IsClientManaged": false, "IsTracked": true, "IsOpened": true, "FirstOpenedDate": ms + 1000,
		"LastOpenedDate": ms + 2000, "IsBounced": false, "EmailTemplateId": "00X5j000000AbCdEAA",
		"CreatedById": "0055j000001AbCdAAK", "CreatedDate": ms, "LastModifiedById": "0055j000001AbCdAAK",
		"LastModifiedDate": ms + 3000,
		"ReturnAddress__c": map[string]any{"Street": "1 Main St", "City": "Springfield", "State": "IL",
			"PostalCode": "62701", "Country": "United States", "Latitude": 39.78, "Longitude": -89.65},
	}
}

// BenchmarkDecodeEmailMessage10KB measures one event through the Decoder:
// schema cache hit, goavro decode, normalisation and the expansion of all
// three bitmaps. Run with -cpu 1 for per-core figures.
func BenchmarkDecodeEmailMessage10KB(b *testing.B) {
	schemaJSON := mustReadFile(b, emailMessageSchemaPath)
	rng := rand.New(rand.NewPCG(42, 4711))
	events := make([]*eventbusv1.ConsumerEvent, 256)
	totalBytes := 0
	for i := range events {
		payload := encodeJSON(b, schemaJSON, benchEmailPayload(rng))
		totalBytes += len(payload)
		events[i] = consumerEventOf("em", []byte{byte(i)}, payload)
	}
	decoder := newTestDecoder(map[string]string{"em": schemaJSON})
	ctx := context.Background()
	if _, err := decoder.Decode(ctx, emailMessageTopic, events[0]); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(totalBytes / len(events)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := decoder.Decode(ctx, emailMessageTopic, events[i%len(events)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkGoavroOnlyEmailMessage10KB is the floor: goavro's decode of the
// same events with nothing of ours around it.
func BenchmarkGoavroOnlyEmailMessage10KB(b *testing.B) {
	schemaJSON := mustReadFile(b, emailMessageSchemaPath)
	schema := compileFile(b, "em", emailMessageSchemaPath)
	rng := rand.New(rand.NewPCG(42, 4711))
	payloads := make([][]byte, 256)
	for i := range payloads {
		payloads[i] = encodeJSON(b, schemaJSON, benchEmailPayload(rng))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, err := schema.codec.NativeFromBinary(payloads[i%len(payloads)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
