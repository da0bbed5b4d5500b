package integration

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxFileBytes bounds a configuration file. A real one is a few KiB; the
// bound keeps a wrong --config (a log, a dump, /dev/zero) from being read
// whole and its values echoed in errors.
const MaxFileBytes = 1 << 20

// sizeLimitText names a limit for people, e.g. "1 MiB (1048576 bytes)".
func sizeLimitText(limit int) string {
	return fmt.Sprintf("%d MiB (%d bytes)", limit>>20, limit)
}

// readBounded reads the file at path when it has at most limit bytes. Its
// size is checked before reading (a regular file) and while reading
// (anything else: a pipe, a device), so a larger file is never read whole.
func readBounded(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() && info.Size() > int64(limit) {
		return nil, tooLarge(path, fmt.Sprintf("it is %d bytes", info.Size()), limit)
	}
	raw, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("read config file %s: %w", path, err)
	}
	if len(raw) > limit {
		return nil, tooLarge(path, fmt.Sprintf("it has more than %d bytes", limit), limit)
	}
	return raw, nil
}

// tooLarge is the error for a configuration file over the limit.
func tooLarge(path, size string, limit int) error {
	return errors.New("read config file " + path + ": " + size + ", over the limit of " + sizeLimitText(limit) +
		"; a configuration is a few KiB: check that --config names the configuration file")
}
