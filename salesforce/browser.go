package salesforce

import (
	"os/exec"
	"runtime"
	"sync"
)

// OpenBrowser opens url in the person's browser for the web_server
// flow's login, and reports whether it tried: on macOS and Windows
// always, elsewhere only when display says a graphical session is there
// (DISPLAY or WAYLAND_DISPLAY; the caller reads its environment). The
// opener process is waited for on a goroutine counted in wg, which the
// caller waits for before it exits.
func OpenBrowser(url string, display bool, wg *sync.WaitGroup) bool {
	var c *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		c = exec.Command("open", url)
	case "windows":
		c = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		if !display {
			return false
		}
		c = exec.Command("xdg-open", url)
	}
	if err := c.Start(); err != nil {
		return false
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = c.Wait()
	}()
	return true
}

// HasDisplay reports whether a graphical session is there to open a
// browser in (macOS and Windows always have one), by the environment
// lookup gives (the command's, not necessarily the process's).
func HasDisplay(lookup func(name string) (string, bool)) bool {
	display, _ := lookup("DISPLAY")
	wayland, _ := lookup("WAYLAND_DISPLAY")
	return display != "" || wayland != ""
}
