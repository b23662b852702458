package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tapedeck/tapedeck/api"
	"github.com/tapedeck/tapedeck/config"
)

// apiClient talks to a running daemon at http.listen, with http.token.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

func newAPIClient(cfg config.Config) *apiClient {
	host := cfg.HTTP.Listen
	if h, p, err := net.SplitHostPort(host); err == nil && (h == "" || h == "0.0.0.0" || h == "::") {
		host = net.JoinHostPort("127.0.0.1", p)
	}
	return &apiClient{base: "http://" + host + "/api/v1", token: cfg.HTTP.Token, http: &http.Client{}}
}

// errNoDaemon says the daemon is not running and how to start it.
var errNoDaemon = errors.New("the tapedeck daemon is not running")

func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil || method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("%w (nothing listens on %s): start it with `tapedeck daemon` (or `make run`)", errNoDaemon, strings.TrimPrefix(c.base, "http://"))
		}
		return fmt.Errorf("daemon: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&e)
		if e.Error.Message == "" {
			e.Error.Message = resp.Status
		}
		return &daemonError{Status: resp.StatusCode, Message: e.Error.Message}
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// daemonError is the daemon's refusal of a request.
type daemonError struct {
	Status  int
	Message string
}

func (e *daemonError) Error() string { return "daemon: " + e.Message }

// clientCmds are the commands that drive a running daemon.
func (a *app) clientCmds() []*cobra.Command {
	var asJSON bool
	withClient := func(fn func(ctx context.Context, c *apiClient, args []string) (any, error), text func(any) string) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			cfg, err := a.load()
			if err != nil {
				return err
			}
			out, err := fn(cmd.Context(), newAPIClient(cfg), args)
			if err != nil {
				return err
			}
			if asJSON {
				if out == nil {
					out = map[string]bool{"ok": true}
				}
				return json.NewEncoder(a.stdout).Encode(out)
			}
			if text != nil {
				fmt.Fprint(a.stdout, text(out))
			}
			return nil
		}
	}
	post := func(path string) func(ctx context.Context, c *apiClient, _ []string) (any, error) {
		return func(ctx context.Context, c *apiClient, _ []string) (any, error) {
			return nil, c.do(ctx, http.MethodPost, path, struct{}{}, nil)
		}
	}
	status := func(ctx context.Context, c *apiClient, _ []string) (any, error) {
		var st api.Status
		err := c.do(ctx, http.MethodGet, "/status", nil, &st)
		return st, err
	}
	var (
		index          int
		local, spotify bool
	)
	cmds := []*cobra.Command{
		{Use: "status", Short: "Show what the daemon is playing", Args: cobra.NoArgs,
			RunE: withClient(status, func(v any) string { return formatStatus(v.(api.Status)) })},
		{Use: "play [PLAYLIST]", Short: "Play a playlist (id, URI or name): on Spotify when it works, else from your files; or resume", Args: cobra.MaximumNArgs(1),
			RunE: withClient(func(ctx context.Context, c *apiClient, args []string) (any, error) {
				req := api.PlayRequest{Index: index}
				if len(args) == 1 {
					req.Playlist = args[0]
				}
				switch {
				case local && spotify:
					return nil, fmt.Errorf("%w: --local or --spotify, not both", errUsage)
				case local:
					req.Source = "local"
				case spotify:
					req.Source = "spotify"
				}
				return nil, c.do(ctx, http.MethodPost, "/player/play", req, nil)
			}, nil)},
		{Use: "pause", Short: "Pause", Args: cobra.NoArgs, RunE: withClient(post("/player/pause"), nil)},
		{Use: "resume", Short: "Resume", Args: cobra.NoArgs, RunE: withClient(post("/player/resume"), nil)},
		{Use: "stop", Short: "Stop", Args: cobra.NoArgs, RunE: withClient(post("/player/stop"), nil)},
		{Use: "next", Short: "Next track", Args: cobra.NoArgs, RunE: withClient(post("/player/next"), nil)},
		{Use: "prev", Short: "Previous track (or the start of this one)", Args: cobra.NoArgs, RunE: withClient(post("/player/previous"), nil)},
		{Use: "seek POSITION", Short: "Seek to POSITION (seconds, or m:ss)", Args: cobra.ExactArgs(1),
			RunE: withClient(func(ctx context.Context, c *apiClient, args []string) (any, error) {
				ms, err := parsePosition(args[0])
				if err != nil {
					return nil, err
				}
				return nil, c.do(ctx, http.MethodPost, "/player/seek", map[string]int64{"position_ms": ms}, nil)
			}, nil)},
		{Use: "volume N", Short: "Set the volume, 0 to 100", Args: cobra.ExactArgs(1),
			RunE: withClient(func(ctx context.Context, c *apiClient, args []string) (any, error) {
				v, err := strconv.Atoi(args[0])
				if err != nil || v < 0 || v > 100 {
					return nil, fmt.Errorf("%w: volume %q: want 0 to 100", errUsage, args[0])
				}
				return nil, c.do(ctx, http.MethodPut, "/player/volume", map[string]int{"volume": v}, nil)
			}, nil)},
		{Use: "shuffle on|off", Short: "Turn shuffle on or off (on Spotify while it plays)", Args: cobra.ExactArgs(1),
			ValidArgs: []string{"on", "off"},
			RunE: withClient(func(ctx context.Context, c *apiClient, args []string) (any, error) {
				on, ok := map[string]bool{"on": true, "off": false}[args[0]]
				if !ok {
					return nil, fmt.Errorf("%w: shuffle %q: want on or off", errUsage, args[0])
				}
				return nil, c.do(ctx, http.MethodPut, "/player/shuffle", map[string]bool{"shuffle": on}, nil)
			}, nil)},
		{Use: "repeat off|all|one", Short: "Set the repeat mode (on Spotify while it plays)", Args: cobra.ExactArgs(1),
			ValidArgs: []string{"off", "all", "one"},
			RunE: withClient(func(ctx context.Context, c *apiClient, args []string) (any, error) {
				if args[0] != "off" && args[0] != "all" && args[0] != "one" {
					return nil, fmt.Errorf("%w: repeat %q: want off, all or one", errUsage, args[0])
				}
				return nil, c.do(ctx, http.MethodPut, "/player/repeat", map[string]string{"repeat": args[0]}, nil)
			}, nil)},
		a.queueCmd(withClient),
		{Use: "outages", Short: "List the Spotify outages the daemon saw", Args: cobra.NoArgs,
			RunE: withClient(func(ctx context.Context, c *apiClient, _ []string) (any, error) {
				var os []api.Outage
				err := c.do(ctx, http.MethodGet, "/outages", nil, &os)
				return os, err
			}, func(v any) string { return formatOutages(v.([]api.Outage)) })},
		{Use: "events", Short: "Follow the daemon's events (Ctrl-C stops)", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				cfg, err := a.load()
				if err != nil {
					return err
				}
				return a.followEvents(cmd.Context(), newAPIClient(cfg), asJSON)
			}},
	}
	for _, c := range cmds {
		c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
		for _, sub := range c.Commands() {
			sub.Flags().BoolVar(&asJSON, "json", false, "print JSON")
		}
	}
	cmds[1].Flags().IntVar(&index, "index", 0, "start at this entry of the playlist (0-based)")
	cmds[1].Flags().BoolVar(&local, "local", false, "play from your own files even if Spotify works")
	cmds[1].Flags().BoolVar(&spotify, "spotify", false, "play on Spotify or fail (no local fallback at start)")
	return cmds
}

// clientRun is what clientCmds wraps a command's work in: the daemon's
// client, JSON or text output.
type clientRun func(fn func(ctx context.Context, c *apiClient, args []string) (any, error), text func(any) string) func(*cobra.Command, []string) error

// queueCmd lists the queue and, through its subcommands, edits it.
// Entries are numbered from 1 as the listing shows them; the API counts
// from 0.
func (a *app) queueCmd(withClient clientRun) *cobra.Command {
	showQueue := func(v any) string { return formatQueue(v.(api.Queue)) }
	cmd := &cobra.Command{Use: "queue", Short: "Show the play queue (add, remove, move: edit it)", Args: cobra.NoArgs,
		RunE: withClient(func(ctx context.Context, c *apiClient, _ []string) (any, error) {
			var q api.Queue
			err := c.do(ctx, http.MethodGet, "/queue", nil, &q)
			return q, err
		}, showQueue)}
	var (
		next bool
		at   int
	)
	add := &cobra.Command{Use: "add [--next | --at N] PATH...", Short: "Add files to the queue: at the end, next (after the current track), or as entry N",
		Args: cobra.MinimumNArgs(1),
		RunE: withClient(func(ctx context.Context, c *apiClient, args []string) (any, error) {
			req := api.QueueAddRequest{Next: next}
			switch {
			case next && at != 0:
				return nil, fmt.Errorf("%w: --next or --at, not both", errUsage)
			case at < 0:
				return nil, fmt.Errorf("%w: --at %d: entries are numbered from 1", errUsage, at)
			case at > 0:
				i := at - 1
				req.At = &i
			}
			for _, p := range args {
				abs, err := filepath.Abs(p) // the daemon runs elsewhere
				if err != nil {
					return nil, err
				}
				req.Paths = append(req.Paths, abs)
			}
			var q api.Queue
			err := c.do(ctx, http.MethodPost, "/queue/entries", req, &q)
			if at > 0 && isNotFound(err) {
				return nil, fmt.Errorf("--at %d: the queue is shorter (see `tapedeck queue`)", at)
			}
			return q, err
		}, showQueue)}
	add.Flags().BoolVar(&next, "next", false, "play them next, right after the current track (also with shuffle)")
	add.Flags().IntVar(&at, "at", 0, "insert them as entry N (numbered from 1, as the queue lists them)")
	remove := &cobra.Command{Use: "remove N", Short: "Remove entry N (as `tapedeck queue` numbers them); removing the current track plays the next",
		Args: cobra.ExactArgs(1),
		RunE: withClient(func(ctx context.Context, c *apiClient, args []string) (any, error) {
			n, err := entryNumber(args[0])
			if err != nil {
				return nil, err
			}
			var q api.Queue
			err = c.do(ctx, http.MethodDelete, "/queue/entries/"+strconv.Itoa(n-1), nil, &q)
			if isNotFound(err) {
				return nil, fmt.Errorf("no entry %d in the queue (see `tapedeck queue`)", n)
			}
			return q, err
		}, showQueue)}
	move := &cobra.Command{Use: "move FROM TO", Short: "Move entry FROM to position TO (as `tapedeck queue` numbers them)",
		Args: cobra.ExactArgs(2),
		RunE: withClient(func(ctx context.Context, c *apiClient, args []string) (any, error) {
			from, err := entryNumber(args[0])
			if err != nil {
				return nil, err
			}
			to, err := entryNumber(args[1])
			if err != nil {
				return nil, err
			}
			var q api.Queue
			err = c.do(ctx, http.MethodPost, "/queue/move", map[string]int{"from": from - 1, "to": to - 1}, &q)
			if isNotFound(err) {
				return nil, fmt.Errorf("no entry %d or %d in the queue (see `tapedeck queue`)", from, to)
			}
			return q, err
		}, showQueue)}
	cmd.AddCommand(add, remove, move)
	return cmd
}

// entryNumber reads a queue entry number as `tapedeck queue` shows it.
func entryNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: entry %q: want a number from 1, as `tapedeck queue` shows", errUsage, s)
	}
	return n, nil
}

func isNotFound(err error) bool {
	var de *daemonError
	return errors.As(err, &de) && de.Status == http.StatusNotFound
}

func parsePosition(s string) (int64, error) {
	var secs float64
	if m, sec, ok := strings.Cut(s, ":"); ok {
		mm, err1 := strconv.Atoi(m)
		ss, err2 := strconv.ParseFloat(sec, 64)
		if err1 != nil || err2 != nil || mm < 0 || ss < 0 {
			return 0, fmt.Errorf("%w: position %q: want seconds or m:ss", errUsage, s)
		}
		secs = float64(mm)*60 + ss
	} else {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("%w: position %q: want seconds or m:ss", errUsage, s)
		}
		secs = v
	}
	return int64(secs * 1000), nil
}

func formatStatus(st api.Status) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", st.State)
	if st.Track != nil {
		fmt.Fprintf(&b, ": %s — %s  %s / %s", strings.Join(st.Track.Artists, ", "), st.Track.Title, clock(st.PositionMs), clock(st.Track.DurationMs))
		fmt.Fprintf(&b, "\n  from %s (%s)", st.Track.LocalPath, st.Source)
	}
	if st.Playlist != nil {
		fmt.Fprintf(&b, "\n  playlist %s", st.Playlist.Name)
	}
	fmt.Fprintf(&b, "\n  volume %d, shuffle %v, repeat %s", st.Volume, st.Shuffle, st.Repeat)
	if st.OutputError != "" {
		fmt.Fprintf(&b, "\n  %s", st.OutputError) // already says "audio output is not working: …" and the fix
	}
	fmt.Fprintf(&b, "\n  Spotify: %s", strings.ReplaceAll(st.Spotify.Connectivity, "_", " "))
	if st.Spotify.Since != nil && st.Spotify.Connectivity != "online" {
		fmt.Fprintf(&b, " since %s", st.Spotify.Since.Local().Format("15:04"))
	}
	if st.Spotify.LastError != "" {
		fmt.Fprintf(&b, " (%s)", st.Spotify.LastError)
	}
	if st.Source == "local" && st.Spotify.Connectivity != "online" && st.Spotify.Connectivity != "not_linked" {
		b.WriteString("; playing your own copy")
		if p := st.Playlist; p != nil {
			fmt.Fprintf(&b, "; %d of %d tracks available offline", p.PlayableOffline, p.Items)
		}
	}
	if st.Spotify.Connectivity == "not_linked" {
		b.WriteString(": run `tapedeck login`")
	}
	if a := st.Spotify.App; a != nil {
		fmt.Fprintf(&b, "\n  Spotify app on this computer: %s (%s)", strings.ToLower(a.Status), strings.TrimPrefix(a.Name, "org.mpris.MediaPlayer2."))
	}
	fmt.Fprintf(&b, "\n  library: %d tracks", st.Library.Tracks)
	if st.Library.Scanning {
		b.WriteString(", scanning")
	}
	if st.Library.Syncing {
		b.WriteString(", syncing")
	}
	b.WriteString("\n")
	return b.String()
}

func formatOutages(os []api.Outage) string {
	if len(os) == 0 {
		return "No Spotify outage since the daemon started.\n"
	}
	var b strings.Builder
	for _, o := range os {
		end := "ongoing"
		if o.End != nil {
			end = o.End.Local().Format("15:04:05") + " (" + o.End.Sub(o.Start).Round(time.Second).String() + ")"
		}
		fmt.Fprintf(&b, "%s → %s  %s; played locally %s\n", o.Start.Local().Format("2006-01-02 15:04:05"), end, o.Cause,
			(time.Duration(o.PlayedLocallyMs) * time.Millisecond).Round(time.Second))
	}
	return b.String()
}

func formatQueue(q api.Queue) string {
	if len(q.Entries) == 0 {
		return "The queue is empty: `tapedeck play PLAYLIST`.\n"
	}
	var b strings.Builder
	if q.Playlist != nil {
		fmt.Fprintf(&b, "%s\n", q.Playlist.Name)
	}
	for i, e := range q.Entries {
		mark := "  "
		if i == q.Index {
			mark = "> "
		}
		fmt.Fprintf(&b, "%s%3d  %s — %s  %s\n", mark, i+1, strings.Join(e.Artists, ", "), e.Title, clock(e.DurationMs))
	}
	return b.String()
}

// followEvents prints the daemon's event stream until ctx ends.
func (a *app) followEvents(ctx context.Context, c *apiClient, asJSON bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/events", nil)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("%w: start it with `tapedeck daemon`", errNoDaemon)
		}
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("daemon: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	var typ string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			typ = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data := strings.TrimPrefix(line, "data: ")
			if asJSON {
				fmt.Fprintf(a.stdout, "{\"type\":%q,\"data\":%s}\n", typ, data)
			} else {
				fmt.Fprintf(a.stdout, "%s %-12s %s\n", time.Now().Format("15:04:05"), typ, data)
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return sc.Err()
}
