package player

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// helperEnv, when set to an audio file, makes the test binary play that
// file through the speaker output and exit: ALSA reads ~/.asoundrc once per
// process and oto opens one device per process, so each ALSA test runs in a
// fresh process with its own HOME.
const helperEnv = "TAPEDECK_SPEAKER_HELPER"

// Exit codes of the helper.
const (
	helperOK   = 0
	helperDead = 3
	helperFail = 4
)

func speakerHelper() int {
	e := New(&Speaker{StallTimeout: time.Second}, Options{})
	e.SetQueue([]Track{{Path: os.Getenv(helperEnv)}})
	e.Play(0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	for {
		select {
		case err := <-done:
			fmt.Fprintln(os.Stderr, err)
			if errors.Is(err, ErrOutputDead) {
				return helperDead
			}
			return helperFail
		case ev := <-e.Events():
			if ev.Type == EventState && ev.State == StateStopped {
				// Let the device drain what it has before leaving.
				time.Sleep(200 * time.Millisecond)
				cancel()
				<-done
				return helperOK
			}
		}
	}
}
