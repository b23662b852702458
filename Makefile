# tapedeck — see README.md. `make run` starts the main job, `make test` runs
# every test; both install the Debian packages they need when missing.

GO        ?= go
TAGS      := sqlite_fts5
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS   := -X main.version=$(VERSION)
BIN       := bin/tapedeck
# Debian packages: a C compiler for cgo (SQLite, ALSA), ALSA headers for audio
# output, ffmpeg to make the test fixtures and decode M4A/Opus.
DEB_PKGS  := gcc libc6-dev pkg-config libasound2-dev ffmpeg
# Only the tests need these: systemd for `systemd-analyze verify` of the
# units in dist/systemd, snapserver for the Snapcast test of the pipe output,
# dbus and playerctl for the MPRIS tests on a private session bus, chromium
# for the test of the web page.
TEST_PKGS := systemd snapserver dbus playerctl chromium

.PHONY: all build run demo test race bench fuzz lint deps test-deps pkgs clean install install-user

all: build

deps:
	@$(MAKE) --no-print-directory pkgs PKGS="$(DEB_PKGS)"

test-deps:
	@$(MAKE) --no-print-directory pkgs PKGS="$(DEB_PKGS) $(TEST_PKGS)"

pkgs:
	@missing=""; for p in $(PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null; then \
	    echo "tapedeck needs:$$missing (not a Debian system: install the equivalents)"; exit 1; \
	  elif [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "tapedeck needs these Debian packages. Run:"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

build: deps
	$(GO) build -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/tapedeck

# The main job: the daemon with the built-in defaults (or your config): it
# indexes library.dirs, serves the API on 127.0.0.1:8273, and plays.
run: build
	./$(BIN) daemon

# A minute-long show of fail-over and hand-back, with a fake Spotify and a
# generated library: no account, no music needed.
demo: build
	./$(BIN) demo

test: test-deps
	$(GO) test -tags $(TAGS) -race -count=1 ./...

bench: build
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchmem ./...
	bash bench/scan.sh
	bash bench/api.sh

# A short fuzz session on the tag reader; the seed corpus in
# media/testdata/fuzz also runs as part of `make test`.
fuzz:
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzRead -fuzztime 60s ./media/

lint: test-deps
	$(GO) vet -tags $(TAGS) ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Install the binary and both systemd units (see README, "Running as a
# service"): `make build` as yourself, then `sudo make install`, which does
# not rebuild (root's PATH often has no Go). PREFIX and DESTDIR as usual.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
SYSTEMDDIR  ?= $(PREFIX)/lib/systemd
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
# D-Bus reads local policy from /etc (not from /usr/local).
DBUSPOLICYDIR ?= /etc/dbus-1/system.d

install:
	@test -x $(BIN) || { echo "no $(BIN): run 'make build' first, then 'sudo make install'"; exit 1; }
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/tapedeck
	install -d $(DESTDIR)$(SYSTEMDDIR)/system $(DESTDIR)$(SYSTEMDDIR)/user
	sed 's|/usr/local/bin/tapedeck|$(BINDIR)/tapedeck|' dist/systemd/tapedeck-system.service > $(DESTDIR)$(SYSTEMDDIR)/system/tapedeck.service
	sed 's|/usr/local/bin/tapedeck|$(BINDIR)/tapedeck|' dist/systemd/tapedeck.service > $(DESTDIR)$(SYSTEMDDIR)/user/tapedeck.service
	install -D -m 0644 dist/systemd/tapedeck.sysusers $(DESTDIR)$(SYSUSERSDIR)/tapedeck.conf
	install -D -m 0644 dist/dbus/tapedeck.conf $(DESTDIR)$(DBUSPOLICYDIR)/tapedeck.conf
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
	  systemd-sysusers $(SYSUSERSDIR)/tapedeck.conf; \
	  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	fi

# Install for yourself only, no root: ~/.local/bin/tapedeck and the user
# unit in ~/.local/share/systemd/user.
install-user: build
	install -D -m 0755 $(BIN) $(HOME)/.local/bin/tapedeck
	install -d $(HOME)/.local/share/systemd/user
	sed 's|/usr/local/bin/tapedeck|%h/.local/bin/tapedeck|' dist/systemd/tapedeck.service > $(HOME)/.local/share/systemd/user/tapedeck.service
	@systemctl --user daemon-reload 2>/dev/null || true

clean:
	rm -rf bin
