//go:build unix

package salesforce

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkOwner refuses a token file another user owns.
func checkOwner(path string, info fs.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("read token file %s: owned by uid %d, not by this user (uid %d)", path, st.Uid, os.Getuid())
	}
	return nil
}
