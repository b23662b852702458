// Package mpris exposes the daemon on the D-Bus session bus as the MPRIS
// player org.mpris.MediaPlayer2.tapedeck, so media keys, desktop widgets
// and playerctl control tapedeck like any other player. It only translates:
// every action goes to an api.Backend, and the properties follow the
// backend's status (its events, and a poll once a second).
package mpris

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
	"github.com/godbus/dbus/v5/prop"

	"github.com/tapedeck/tapedeck/api"
)

// Names fixed by the MPRIS specification (BusName is ours within it).
const (
	BusName     = "org.mpris.MediaPlayer2.tapedeck"
	ObjectPath  = dbus.ObjectPath("/org/mpris/MediaPlayer2")
	ifaceRoot   = "org.mpris.MediaPlayer2"
	ifacePlayer = "org.mpris.MediaPlayer2.Player"
	ifaceProps  = "org.freedesktop.DBus.Properties"
)

// pollEvery is how often the status is read even without events, so the
// position and anything the backend does not announce stay current.
const pollEvery = time.Second

// callTimeout bounds one backend call made for a D-Bus request, so a slow
// Spotify call cannot hold a media-key press forever.
const callTimeout = 10 * time.Second

// Bus is the D-Bus bus to use: the session bus of a desktop (media keys,
// playerctl), or the system bus of a home server (spotifyd can run there,
// and tapedeck as a system service; dist/dbus/tapedeck.conf lets the
// tapedeck user own its name there). AutoBus is the session bus when there
// is one, else the system bus.
type Bus string

// The buses.
const (
	AutoBus    Bus = "auto"
	SessionBus Bus = "session"
	SystemBus  Bus = "system"
)

// Pick resolves AutoBus with getenv (os.Getenv): the session bus when
// DBUS_SESSION_BUS_ADDRESS is set or $XDG_RUNTIME_DIR/bus exists (a
// desktop session, a user service), else the system bus (a system
// service, a server).
func (b Bus) Pick(getenv func(string) string) Bus {
	if b != AutoBus {
		return b
	}
	if getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return SessionBus
	}
	if rt := getenv("XDG_RUNTIME_DIR"); rt != "" {
		if _, err := os.Stat(filepath.Join(rt, "bus")); err == nil {
			return SessionBus
		}
	}
	return SystemBus
}

// Run serves the MPRIS player on bus until ctx ends, then releases the
// name. It never fails the daemon: without the bus, or when the name
// cannot be owned (another process has it, or on the system bus, no policy
// allows it), it logs once and waits for ctx.
func Run(ctx context.Context, bus Bus, b api.Backend, log *slog.Logger) error {
	auto := bus == AutoBus
	bus = bus.Pick(os.Getenv)
	conn, err := connect(bus)
	if err != nil {
		log.Info("no D-Bus "+busName(bus, auto)+" bus: media keys and playerctl unavailable", "err", err)
		<-ctx.Done()
		return nil
	}
	defer conn.Close()
	s := &server{ctx: ctx, b: b, log: log, conn: conn}
	if err := s.export(); err != nil {
		log.Warn("MPRIS unavailable", "err", err)
		<-ctx.Done()
		return nil
	}
	reply, err := conn.RequestName(BusName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		hint, level := "another tapedeck on this session?", slog.LevelWarn
		if bus == SystemBus {
			hint = "install dist/dbus/tapedeck.conf (make install) and run as the tapedeck user, or another tapedeck has it"
			if auto { // no session bus either: likely a server that does not use MPRIS
				level = slog.LevelInfo
			}
		}
		log.Log(ctx, level, "MPRIS unavailable: cannot own the bus name on the "+string(bus)+" bus ("+hint+")", "name", BusName, "err", err)
		<-ctx.Done()
		return nil
	}
	log.Debug("MPRIS player on the bus", "name", BusName, "bus", bus)
	s.watch(ctx)
	if _, err := conn.ReleaseName(BusName); err != nil {
		log.Debug("releasing the MPRIS name", "err", err)
	}
	return nil
}

// busName names the bus tapedeck looked for: with auto, neither was there.
func busName(picked Bus, auto bool) string {
	if auto {
		return "session or system"
	}
	return string(picked)
}

// connect opens a connection to bus, but never starts a bus: godbus would
// run dbus-launch when it finds no session bus address, and a daemon
// without a desktop session has nothing to gain from a bus of its own.
func connect(bus Bus) (*dbus.Conn, error) {
	if bus == SystemBus {
		if os.Getenv("DBUS_SYSTEM_BUS_ADDRESS") == "" {
			if _, err := os.Stat("/run/dbus/system_bus_socket"); err != nil {
				return nil, errors.New("DBUS_SYSTEM_BUS_ADDRESS is not set and there is no /run/dbus/system_bus_socket")
			}
		}
		return dbus.ConnectSystemBus()
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		rt := os.Getenv("XDG_RUNTIME_DIR")
		if rt == "" {
			return nil, errors.New("DBUS_SESSION_BUS_ADDRESS is not set")
		}
		if _, err := os.Stat(filepath.Join(rt, "bus")); err != nil {
			return nil, errors.New("DBUS_SESSION_BUS_ADDRESS is not set and there is no $XDG_RUNTIME_DIR/bus")
		}
	}
	return dbus.ConnectSessionBus()
}

// export puts the two MPRIS interfaces, Properties and Introspectable on
// ObjectPath. It runs before the name is requested, so a client that sees
// the name appear finds everything in place.
func (s *server) export() error {
	st := s.status()
	props, err := prop.Export(s.conn, ObjectPath, s.propMap(st))
	if err != nil {
		return fmt.Errorf("export properties: %w", err)
	}
	s.props = props
	s.last = st
	s.lastAt = time.Now()
	// Replaces the export prop.Export made, so Position is read live.
	if err := s.conn.Export(&liveProps{s}, ObjectPath, ifaceProps); err != nil {
		return fmt.Errorf("export properties: %w", err)
	}
	r, p := root{}, &player{s}
	if err := s.conn.Export(r, ObjectPath, ifaceRoot); err != nil {
		return fmt.Errorf("export %s: %w", ifaceRoot, err)
	}
	if err := s.conn.ExportWithMap(p, playerNames, ObjectPath, ifacePlayer); err != nil {
		return fmt.Errorf("export %s: %w", ifacePlayer, err)
	}
	node := &introspect.Node{
		Name: string(ObjectPath),
		Interfaces: []introspect.Interface{
			introspect.IntrospectData,
			prop.IntrospectData,
			{Name: ifaceRoot, Methods: introspect.Methods(r), Properties: props.Introspection(ifaceRoot)},
			{Name: ifacePlayer, Methods: playerMethods(p), Properties: props.Introspection(ifacePlayer),
				Signals: []introspect.Signal{{Name: "Seeked", Args: []introspect.Arg{{Name: "Position", Type: "x"}}}}},
		},
	}
	if err := s.conn.Export(introspect.NewIntrospectable(node), ObjectPath, "org.freedesktop.DBus.Introspectable"); err != nil {
		return fmt.Errorf("export introspection: %w", err)
	}
	return nil
}

// playerNames maps Go method names to D-Bus ones where they differ.
var playerNames = map[string]string{"SeekBy": "Seek"}

// playerMethods is the introspection of p's methods, under their D-Bus names.
func playerMethods(p *player) []introspect.Method {
	ms := introspect.Methods(p)
	for i := range ms {
		if n, ok := playerNames[ms[i].Name]; ok {
			ms[i].Name = n
		}
	}
	return ms
}
