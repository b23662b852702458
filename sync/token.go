package sync

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/oauth2"
)

// ErrNotLoggedIn is returned when no Spotify token is stored.
var ErrNotLoggedIn = errors.New("not linked to Spotify: run `tapedeck login`")

// TokenFile stores the Spotify tokens as JSON in one file, mode 0600 in a
// 0700 directory. Writes are atomic (temp file, fsync, rename, fsync of the
// directory): after a crash the file holds the old token or the new one,
// whole.
type TokenFile struct {
	Path string
}

// NewTokenFile returns the token file inside stateDir.
func NewTokenFile(stateDir string) *TokenFile {
	return &TokenFile{Path: filepath.Join(stateDir, "spotify-token.json")}
}

// Load reads the stored token, or returns ErrNotLoggedIn.
func (f *TokenFile) Load() (*oauth2.Token, error) {
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotLoggedIn
	}
	if err != nil {
		return nil, fmt.Errorf("read Spotify token: %w", err)
	}
	var tok oauth2.Token
	if err := json.Unmarshal(data, &tok); err != nil || tok.RefreshToken == "" {
		// Never quote the content: it holds secrets.
		return nil, fmt.Errorf("Spotify token file %s is damaged: run `tapedeck login` again", f.Path)
	}
	return &tok, nil
}

// Save writes tok atomically with private permissions, whatever the umask
// and whatever mode an older file had.
func (f *TokenFile) Save(tok *oauth2.Token) error {
	dir := filepath.Dir(f.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save Spotify token: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("save Spotify token: %w", err)
	}
	data, err := json.Marshal(tok)
	if err != nil {
		return fmt.Errorf("save Spotify token: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".spotify-token-*.tmp")
	if err != nil {
		return fmt.Errorf("save Spotify token: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	err = errors.Join(tmp.Chmod(0o600), write(tmp, data), tmp.Sync(), tmp.Close())
	if err != nil {
		return fmt.Errorf("save Spotify token: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("save Spotify token: %w", err)
	}
	return syncDir(dir)
}

func write(f *os.File, data []byte) error {
	_, err := f.Write(data)
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("save Spotify token: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("save Spotify token: %w", err)
	}
	return nil
}

// lock takes an exclusive lock shared by every tapedeck process using this
// token file, and returns its release.
func (f *TokenFile) lock() (func(), error) {
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return nil, fmt.Errorf("lock Spotify token: %w", err)
	}
	lf, err := os.OpenFile(f.Path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock Spotify token: %w", err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		lf.Close()
		return nil, fmt.Errorf("lock Spotify token: %w", err)
	}
	return func() {
		syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
		lf.Close()
	}, nil
}

// Delete forgets the token. Deleting a missing token is not an error.
func (f *TokenFile) Delete() error {
	if err := os.Remove(f.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("forget Spotify token: %w", err)
	}
	return nil
}
