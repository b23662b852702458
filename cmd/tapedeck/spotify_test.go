package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tapedeck/tapedeck/sync/spotifytest"
)

// TestLoginSyncAndShowAgainstTheFake drives the CLI end to end: login with
// --no-browser (the test plays the browser), sync, and the listings.
func TestLoginSyncAndShowAgainstTheFake(t *testing.T) {
	srv := spotifytest.New()
	defer srv.Close()
	demo := srv.LoadDemo(3, 70, 20)
	c := newCLI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	redirect := "http://" + ln.Addr().String() + "/callback"
	ln.Close()
	c.env["TAPEDECK_SPOTIFY_API_URL"] = srv.APIURL()
	c.env["TAPEDECK_SPOTIFY_ACCOUNTS_URL"] = srv.AccountsURL()
	c.env["TAPEDECK_SPOTIFY_CLIENT_ID"] = srv.ClientID
	c.env["TAPEDECK_SPOTIFY_REDIRECT_URL"] = redirect

	if _, _, err := c.run("sync"); err == nil || !strings.Contains(err.Error(), "tapedeck login") {
		t.Errorf("sync before login: %v", err)
	}

	// login --no-browser prints the authorize URL alone on stdout.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		root := newRootCmd(pw, io.Discard, func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
		root.SetArgs([]string{"login", "--no-browser"})
		done <- root.ExecuteContext(context.Background())
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	authURL := strings.TrimSpace(line)
	if !strings.HasPrefix(authURL, srv.AccountsURL()+"/authorize?") || !strings.Contains(authURL, "code_challenge_method=S256") {
		t.Fatalf("printed %q, want the authorize URL alone", line)
	}
	go io.Copy(io.Discard, pr)
	resp, err := http.Get(authURL) // the browser: Spotify approves and redirects
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("login: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("login did not finish")
	}
	fi, err := os.Stat(filepath.Join(c.env["TAPEDECK_STATE_DIR"], "spotify-token.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", fi, err)
	}

	var res map[string]any
	c.mustRunJSON(&res, "sync", "--json")
	// 3 demo playlists, the forbidden editorial one, Liked Songs.
	if res["playlists"] != 5.0 || res["fetched"] != 4.0 || res["unreadable"] != 1.0 {
		t.Errorf("sync --json = %v", res)
	}
	var lists []map[string]any
	c.mustRunJSON(&lists, "playlists", "--json")
	if len(lists) != 5 || lists[0]["id"] != "liked" || lists[0]["items"] != 20.0 {
		t.Errorf("playlists --json = %v", lists)
	}
	name := demo.Playlists[1].Name
	var shown struct {
		ID      string `json:"id"`
		Entries []struct {
			Position int `json:"position"`
			Track    *struct {
				Name string `json:"name"`
			} `json:"track"`
		} `json:"entries"`
	}
	c.mustRunJSON(&shown, "playlist", "show", name, "--json")
	if shown.ID != demo.Playlists[1].ID || len(shown.Entries) != 70 {
		t.Errorf("playlist show %q: id %s, %d entries", name, shown.ID, len(shown.Entries))
	}
	if out := c.mustRun("playlist", "show", demo.Playlists[1].ID); !strings.Contains(out, name) {
		t.Errorf("playlist show by id:\n%s", out)
	}
	if _, _, err := c.run("playlist", "show", "No Such List"); err == nil || !strings.Contains(err.Error(), "tapedeck playlists") {
		t.Errorf("unknown playlist: %v", err)
	}

	c.mustRun("logout")
	if _, err := os.Stat(filepath.Join(c.env["TAPEDECK_STATE_DIR"], "spotify-token.json")); !os.IsNotExist(err) {
		t.Errorf("token still there after logout: %v", err)
	}
	if out := c.mustRun("playlists"); !strings.Contains(out, "Liked Songs") {
		t.Error("logout dropped the synced playlists")
	}
}
