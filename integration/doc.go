// Package integration is the configuration model of one integration: one
// Salesforce org's objects brought into one Communications Mining source.
// Its guarantee: a Spec that passes Validate names everything the engine
// needs, and a Spec that does not is refused with every problem at once,
// each naming its dotted key and the fix (with its line and a "did you
// mean" when the Spec came from a file), never showing a secret's value.
//
// A Spec is plain data with documented zero values. It is built in Go or
// loaded from YAML (Load from bytes, LoadFile from a file of at most
// MaxFileBytes): ${VAR} references in values are expanded and the
// SFCDC_* overrides applied from an Env the caller passes, so the package
// reads no process state (environment, flags) by itself. A process's file
// may hold more than one integration's sections (sfcdc's store: and
// monitoring:): its type embeds Spec inline and implements Document, and
// the same loader checks it whole.
//
// YAML comes from go.yaml.in/yaml/v3, the maintained fork of gopkg.in/yaml:
// its Node tree gives every key's line, which the messages name. Unknown
// keys are found by walking that tree against the yaml tags (walk.go)
// rather than by the library's KnownFields, which stops at the first.
// "Did you mean" uses github.com/agnivade/levenshtein.
package integration
