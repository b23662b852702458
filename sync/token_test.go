package sync

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestTokenFilePrivateEvenUnderUmask000(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "state")
	// An older, careless install left a world-readable dir and file.
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	f := NewTokenFile(dir)
	if err := os.WriteFile(f.Path, []byte(`{"refresh_token":"old"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tok := &oauth2.Token{AccessToken: "acc", RefreshToken: "ref", Expiry: time.Now().Add(time.Hour)}
	if err := f.Save(tok); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(dir)
	if di.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v, want 0700", di.Mode().Perm())
	}
	got, err := f.Load()
	if err != nil || got.AccessToken != "acc" || got.RefreshToken != "ref" {
		t.Errorf("Load = %+v, %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

// TestTokenWriteIsAtomic checks the file is only ever the old token or the
// new one: a crash mid-write leaves only a partial temp file beside the
// token, which Load ignores, and the next save replaces the token whole.
func TestTokenWriteIsAtomic(t *testing.T) {
	dir := t.TempDir()
	f := NewTokenFile(dir)
	if err := f.Save(&oauth2.Token{AccessToken: "a1", RefreshToken: "r1"}); err != nil {
		t.Fatal(err)
	}
	// A temp file left by a crash mid-write does not disturb anything.
	if err := os.WriteFile(filepath.Join(dir, ".spotify-token-123.tmp"), []byte(`{"access_tok`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := f.Load()
	if err != nil || got.RefreshToken != "r1" {
		t.Fatalf("Load after crashed write = %+v, %v", got, err)
	}
	if err := f.Save(&oauth2.Token{AccessToken: "a2", RefreshToken: "r2"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.Load(); got.RefreshToken != "r2" {
		t.Errorf("after second save: %+v", got)
	}
}

func TestTokenFileErrors(t *testing.T) {
	dir := t.TempDir()
	f := NewTokenFile(dir)
	if _, err := f.Load(); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("missing file: %v, want ErrNotLoggedIn", err)
	}
	if err := os.WriteFile(f.Path, []byte(`{"access_token":"SECRET-abc","refr`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := f.Load()
	if err == nil || strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "tapedeck login") {
		t.Errorf("damaged file: %v", err)
	}
	if err := f.Delete(); err != nil {
		t.Fatal(err)
	}
	if err := f.Delete(); err != nil {
		t.Errorf("second delete: %v", err)
	}
}
