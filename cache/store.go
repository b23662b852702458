// Package cache is tapedeck's SQLite store: the index of local audio files
// and, in later schema versions, synced playlists and matches.
//
// One connection writes (every write is a BEGIN IMMEDIATE transaction, so
// writers queue on SQLite's lock instead of failing half-way); a pool of
// read-only connections serves queries concurrently thanks to WAL.
package cache

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrTooNew is returned by Open for a database written by a newer tapedeck.
var ErrTooNew = errors.New("database schema is newer than this tapedeck")

// Store is an open tapedeck database.
type Store struct {
	path string
	w    *sql.DB // one connection: serialised writes
	r    *sql.DB // read-only pool

	// Now is the clock used for timestamps; tests replace it.
	Now func() time.Time
}

// Open opens (creating if needed) the database at path and migrates it to
// the newest schema this build knows.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	w, err := sql.Open("sqlite3", dsn(path, "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	s := &Store{path: path, w: w, Now: time.Now}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	r, err := sql.Open("sqlite3", dsn(path, "_query_only=1"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s.r = r
	return s, nil
}

func dsn(path string, extra string) string {
	return "file:" + url.PathEscape(path) +
		"?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000&_foreign_keys=on&" + extra
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(entries)
	var out []migration
	for i, name := range entries {
		base := filepath.Base(name)
		n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil || n != i+1 {
			return nil, fmt.Errorf("migration %s: want number %04d", base, i+1)
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: n, name: base, sql: string(body)})
	}
	return out, nil
}

// SchemaVersion is the newest schema this build knows.
func SchemaVersion() int {
	ms, _ := migrations()
	return len(ms)
}

// migrate applies every pending migration, each in its own transaction with
// the new user_version, so a crash leaves the database at a whole version.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	var current int
	if err := s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("open database %s: %w", s.path, err)
	}
	if current > len(ms) {
		return fmt.Errorf("%w: %s has schema version %d, this build knows up to %d: upgrade tapedeck, or set state_dir to another directory",
			ErrTooNew, s.path, current, len(ms))
	}
	for _, m := range ms[current:] {
		err := s.write(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version))
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate database %s to version %d (%s): %w", s.path, m.version, m.name, err)
		}
	}
	return nil
}

// write runs fn in a BEGIN IMMEDIATE transaction on the writer connection.
func (s *Store) write(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}
