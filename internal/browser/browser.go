// Package browser starts headless Chromium for the tests of the web page
// (web/ against a fake backend, cmd/tapedeck against the real daemon), so
// both launch it the same way and collect the same console problems.
package browser

import (
	"context"
	"os"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Chromium is Debian's browser, which `make test` installs.
const Chromium = "/usr/bin/chromium"

// Browser is one headless Chromium with a fresh profile and one tab.
type Browser struct {
	// Ctx runs chromedp actions in the tab; it ends with the test or after
	// the timeout given to Start.
	Ctx context.Context

	mu       gosync.Mutex
	problems []string
}

// Start launches Chromium with a phone's viewport, a throwaway profile and
// none of its own network traffic, and stops it when t ends. Without
// Chromium t fails, naming the package to install: `make test` installs it.
func Start(t testing.TB, timeout time.Duration) *Browser {
	t.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		t.Fatalf("%s is needed to test the web page: make test-deps (apt-get install -y chromium): %v", Chromium, err)
	}
	// Not t.TempDir: Chromium's helpers may still write to it as it exits.
	profile, err := os.MkdirTemp("", "tapedeck-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 10 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelA)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(cancelC)
	ctx, cancelT := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancelT)

	b := &Browser{Ctx: ctx}
	chromedp.ListenTarget(ctx, b.listen)
	// A phone's viewport: a window cannot be made that narrow (Chromium
	// keeps it 500 px wide at least), so emulate one.
	if err := chromedp.Run(ctx, log.Enable(), chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatalf("start %s: %v", Chromium, err)
	}
	return b
}

// listen keeps what the page reports as a warning or an error.
func (b *Browser) listen(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeWarning {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			p = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
		}
	case *runtime.EventExceptionThrown:
		p = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			p += " " + ev.ExceptionDetails.Exception.Description
		}
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.LevelError || ev.Entry.Level == log.LevelWarning {
			p = "log " + string(ev.Entry.Level) + ": " + ev.Entry.Text + " " + ev.Entry.URL
		}
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

// Problems returns the warnings, errors and uncaught exceptions the page
// reported so far, except those containing one of the expected strings.
func (b *Browser) Problems(expected ...string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
next:
	for _, p := range b.problems {
		for _, e := range expected {
			if strings.Contains(p, e) {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}

// Poll waits until the JavaScript expression is true in the page.
func Poll(expr string) chromedp.Action {
	return chromedp.Poll(expr, nil, chromedp.WithPollingTimeout(8*time.Second))
}

// Run runs actions in the tab and fails t, saying what and what the
// browser reported, if they fail.
func (b *Browser) Run(t testing.TB, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(b.Ctx, actions...); err != nil {
		t.Fatalf("%s: %v (browser said: %q)", what, err, b.Problems())
	}
}
