package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tapedeck/tapedeck/library"
)

// progress renders scan progress: a redrawn bar on a terminal, a plain line
// every few seconds otherwise (logs, pipes, systemd).
type progress struct {
	w       io.Writer
	tty     bool
	start   time.Time
	last    time.Time
	every   time.Duration
	drawn   bool
	nowFunc func() time.Time
}

func newProgress(w io.Writer, tty bool) *progress {
	every := 5 * time.Second
	if tty {
		every = 100 * time.Millisecond
	}
	return &progress{w: w, tty: tty, start: time.Now(), every: every, nowFunc: time.Now}
}

func (p *progress) update(pr library.Progress) {
	now := p.nowFunc()
	if now.Sub(p.last) < p.every && pr.Done != pr.Total {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start).Truncate(time.Second)
	if !p.tty {
		fmt.Fprintf(p.w, "scan: read %d of %d new or changed files (%s)\n", pr.Done, pr.Total, elapsed)
		return
	}
	const width = 30
	filled := width
	if pr.Total > 0 {
		filled = width * pr.Done / pr.Total
	}
	bar := strings.Repeat("#", filled) + strings.Repeat("-", width-filled)
	fmt.Fprintf(p.w, "\r\033[K[%s] %d/%d files  %s", bar, pr.Done, pr.Total, elapsed)
	p.drawn = true
}

// finish ends the bar's line so later output starts on a fresh one.
func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
