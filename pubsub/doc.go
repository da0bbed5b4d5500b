// Package pubsub receives Salesforce events over the Pub/Sub API and turns
// each one into an Event, or into an error that says which of three things
// went wrong: this event is poison (*PoisonError: dead-letter it and go on),
// its schema is unknown or unusable (ErrUnknownSchema, ErrInvalidSchema), or
// fetching the schema failed (transient). Decoding never panics and never
// allocates without bound, whatever bytes arrive, and every event is decoded
// with the writer schema named by its own schema ID. The reconnecting
// subscriber that delivers the events lives here too (see its files).
//
// # Subscribing
//
// A Subscription hands events out in replay order, each exactly once across
// reconnects, with one stream per topic at a time. Events count against the
// in-flight caps from receipt until the caller releases them; events a failed
// stream never handed out are uncounted when it ends, since the next stream
// fetches them again. When the server ends a stream for good, Err returns a
// *StreamError that errors.Is matches to its class: ErrReplayInvalid,
// ErrTopicNotFound, ErrUnauthenticated, ErrUntrustedCertificate or
// ErrUnknownSchema (an event's schema ID GetSchema does not know) or
// ErrInvalidSchema (a schema that does not compile).
//
// # Decoding
//
// A Decoder resolves the event's schema ID through a SchemaCache (bounded,
// least recently used out, one fetch per missing ID however many goroutines
// ask) backed by a SchemaSource, in production PubSubSchemaSource over the
// GetSchema RPC. Schemas are cached by ID only: a topic changes schema when
// an admin adds a field, and /data/ChangeEvents mixes objects. Each cached
// WriterSchema holds the goavro codec and precomputed tables, so an event
// costs one goavro decode, one pass over the fields that need normalising
// and a bitmap expansion against name tables.
//
// goavro (github.com/linkedin/goavro/v2) is the decoder: the Salesforce Go
// example uses it, it rejected every truncated payload in the project's
// measurements where hamba/avro accepted some, and hamba's speed advantage
// disappears when decoding into maps as we do. goavro does about 85% of the
// work of a decode. This package lowers goavro.MaxBlockCount and MaxBlockSize
// once at start-up so a forged block count cannot allocate without bound
// (see decode.go), and rejects bytes left over after the record.
//
// # Values
//
// Event.Fields has the writer schema's fields except ChangeEventHeader,
// which becomes Event.Header (nil for platform events). goavro's union
// wrappers (map[string]any{"string": v}) are removed at every depth, so a
// field holds its value or nil; compound fields (Address, person Name,
// geolocation) are map[string]any. Longs stay int64 (commitNumber exceeds
// 2^53), ints int32, doubles float64.
//
// Date-time rule: a long (or nullable long) field becomes a time.Time in UTC
// from epoch milliseconds when its schema doc names the type DateTime or Date
// ("CreatedDate:DateTime", "Data:DateTime:00N…"), or, when the doc names no
// type (CDC schemas may have no docs), when its name without a "__c" suffix
// ends in "Date" or "DateTime" or is SystemModstamp. A doc naming another
// type keeps the long an int64. Fields of other types are never converted.
// Salesforce's encoding of date-only fields is not documented; they are read
// as epoch milliseconds like date-times (midnight UTC).
//
// # Bitmaps
//
// nulledFields, diffFields and changedFields arrive as bitmaps over the
// writer schema's fields; WriterSchema.ExpandBitmap documents the format and
// the decisions (compound components as "Parent.Child", the bare parent
// dropped when components are listed, header bit ignored). A bitmap that
// does not fit the schema makes the event poison: names taken from the wrong
// schema would silently misreport what changed.
package pubsub
