// Package quote shows a value in a message without repeating all of it.
//
// Errors and log lines name the value that is wrong, but a value can be
// megabytes long (a file read by mistake, a runaway ${VAR}), and quoting
// it whole turns one error line into megabytes of output. Value quotes at
// most MaxBytes of it, as %q would, and says how long the rest is.
//
// It is a leaf package (standard library only) so every layer that
// validates configuration can use it. The one exception is mapper, which
// imports no other sfcdc package: it keeps an identical unexported copy.
package quote
