//go:build !unix

package salesforce

import "io/fs"

// checkOwner has no owner to compare outside Unix.
func checkOwner(string, fs.FileInfo) error { return nil }
