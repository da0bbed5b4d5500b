// Package browsertest drives the service's pages in a real browser for
// tests: one headless Chromium (Debian's chromium, through the DevTools
// protocol with chromedp) per test, a private window (browser context) per
// case, and the checks every page must pass.
//
// Guarantee: Start fails the test, naming the package to install, when no
// Chromium can start (never a skip: CI installs it); every Tab action that
// fails fails the test with the browser's words; Accessible reports every
// problem the browser can measure on the loaded page (the document's
// language, one h1, headings that skip no level, a title, a viewport for
// phones, a label for each form control, text on each button, header cells
// in each table, and WCAG 2's AA contrast of 4.5:1 for every piece of
// visible text); Phone fails a page wider than a 390×844 screen (tables
// may scroll inside their own container); screenshots go under
// $SFCDC_TEST_ARTIFACTS/<folder> when set, else the test's temporary
// folder. The browser and every window are closed by t.Cleanup.
//
// It is test support (like sim/simworld), an ordinary package so the tests
// of every package serving pages can import it; production code never
// does.
package browsertest
