package spotifytest

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	gosync "sync"
)

// OutageKind is a way Spotify can become unreachable or stop playing.
type OutageKind int

const (
	// OutageRefuse stops listening: connections are refused and open ones
	// are closed, on every route. EndOutage listens again on the same
	// address, so a client configured with URL carries on.
	OutageRefuse OutageKind = iota + 1
	// OutageHang holds every request until the client gives up, the outage
	// ends (then the request is answered normally) or the server closes.
	OutageHang
	// Outage503 answers every route, accounts included, with 503 and
	// Spotify's error object.
	Outage503
	// OutageFreeze keeps the API up and /me/player reporting is_playing
	// true, but the position stops moving, as when a device stalls without
	// telling Spotify.
	OutageFreeze
	// OutageDeviceGone takes the active device away: it vanishes from
	// /devices, /me/player answers 204 and commands 404 NO_ACTIVE_DEVICE.
	// EndOutage brings it back, active.
	OutageDeviceGone
)

// String names the kind.
func (k OutageKind) String() string {
	switch k {
	case OutageRefuse:
		return "refuse"
	case OutageHang:
		return "hang"
	case Outage503:
		return "503"
	case OutageFreeze:
		return "freeze"
	case OutageDeviceGone:
		return "device-gone"
	}
	return "none"
}

// Outage describes an outage for Server.Outage.
//
// While an outage that would silence Spotify's audio lasts (refuse, hang,
// 503, device gone), the fake's playback counts as stopped at the position
// it had when the outage began: the position stops moving and no track
// ends. The fake cannot know whether a real device would have kept playing
// from its buffer or its own connection, and stopping is what a failover
// must cope with. When the outage ends playback stays paused there unless
// Resume is set. OutageFreeze keeps is_playing true throughout and carries
// on from the frozen position when it ends.
type Outage struct {
	Kind OutageKind
	// Resume makes playback carry on where it stopped when the outage ends,
	// as if the device had reconnected on its own.
	Resume bool
}

type outageState struct {
	Outage
	end        chan struct{} // closed when the outage ends, for OutageHang
	frozen     bool
	wasPlaying bool
	gone       *Device // the device OutageDeviceGone took away
}

// Outage starts an outage, ending the current one first. Only
// OutageRefuse can fail (it never does in practice).
func (s *Server) Outage(o Outage) error {
	if o.Kind < OutageRefuse || o.Kind > OutageDeviceGone {
		return fmt.Errorf("spotifytest: unknown outage kind %d", o.Kind)
	}
	if err := s.EndOutage(); err != nil {
		return err
	}
	s.mu.Lock()
	p, now := s.pl, s.now()
	p.settle(now)
	p.outage = outageState{Outage: o, end: make(chan struct{})}
	switch o.Kind {
	case OutageFreeze:
		p.outage.frozen = true
	case OutageDeviceGone:
		if i := p.device(p.active); i >= 0 {
			d := p.devices[i]
			p.outage.gone = &d
			p.devices = slices.Delete(p.devices, i, i+1)
			p.active = ""
		}
		fallthrough
	default:
		p.outage.wasPlaying = p.playing
		p.playing = false
	}
	s.mu.Unlock()
	if o.Kind == OutageRefuse {
		s.ln.refuse()
	}
	return nil
}

// EndOutage ends the current outage, if any. After OutageRefuse it listens
// again on the same address; it fails if that address has been taken.
func (s *Server) EndOutage() error {
	s.mu.Lock()
	p, now := s.pl, s.now()
	o := p.outage
	if o.Kind == 0 {
		s.mu.Unlock()
		return nil
	}
	p.outage = outageState{}
	close(o.end)
	p.settle(now)
	if o.gone != nil && p.device(o.gone.ID) < 0 {
		p.devices = append(p.devices, *o.gone)
		if p.active == "" {
			p.active = o.gone.ID
		}
	}
	if o.Resume && o.wasPlaying && p.current() != nil && p.active != "" {
		p.playing, p.changed = true, now
	}
	s.mu.Unlock()
	if o.Kind == OutageRefuse {
		return s.ln.listen()
	}
	return nil
}

// passOutage applies OutageHang and Outage503 to a request; it reports
// whether the request may go on.
func (s *Server) passOutage(w http.ResponseWriter, r *http.Request) bool {
	for {
		s.mu.RLock()
		kind, end := s.pl.outage.Kind, s.pl.outage.end
		s.mu.RUnlock()
		switch kind {
		case Outage503:
			writeError(w, http.StatusServiceUnavailable, statusMessage(http.StatusServiceUnavailable))
			return false
		case OutageRefuse:
			// Accepted just before the listener closed.
			panic(http.ErrAbortHandler)
		case OutageHang:
			select {
			case <-end:
				continue // the outage ended or changed
			case <-r.Context().Done():
			case <-s.done:
			}
			panic(http.ErrAbortHandler)
		}
		return true
	}
}

// switchListener is the server's listener. OutageRefuse closes the real
// listener underneath it (and every connection it accepted) so that
// connecting fails with "connection refused"; listen opens a new one on
// the same address. Accept waits in between, so the HTTP server keeps
// running.
type switchListener struct {
	addr net.Addr

	mu      gosync.Mutex
	cur     net.Listener // nil while refusing
	changed chan struct{}
	closed  bool
	conns   map[*trackedConn]struct{}
}

func newSwitchListener(l net.Listener) *switchListener {
	return &switchListener{addr: l.Addr(), cur: l, changed: make(chan struct{}), conns: map[*trackedConn]struct{}{}}
}

func (l *switchListener) Addr() net.Addr { return l.addr }

func (l *switchListener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		cur, changed, closed := l.cur, l.changed, l.closed
		l.mu.Unlock()
		if closed {
			return nil, net.ErrClosed
		}
		if cur == nil {
			<-changed
			continue
		}
		c, err := cur.Accept()
		l.mu.Lock()
		if l.cur != cur || l.closed {
			l.mu.Unlock()
			if c != nil {
				c.Close()
			}
			continue // refused or closed meanwhile
		}
		if err != nil {
			l.mu.Unlock()
			return nil, err
		}
		tc, ok := c.(*net.TCPConn)
		if !ok {
			l.mu.Unlock()
			return c, nil
		}
		t := &trackedConn{TCPConn: tc, l: l}
		l.conns[t] = struct{}{}
		l.mu.Unlock()
		return t, nil
	}
}

func (l *switchListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	close(l.changed)
	if l.cur != nil {
		return l.cur.Close()
	}
	return nil
}

// refuse closes the real listener and every open connection.
func (l *switchListener) refuse() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.cur == nil {
		return
	}
	l.cur.Close()
	l.cur = nil
	l.swap()
	for c := range l.conns {
		c.TCPConn.SetLinger(0) // reset, as a host that went away would
		c.TCPConn.Close()
	}
	clear(l.conns)
}

// listen opens a new real listener on the same address.
func (l *switchListener) listen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.cur != nil {
		return nil
	}
	nl, err := net.Listen("tcp", l.addr.String())
	if err != nil {
		return fmt.Errorf("spotifytest: listen again on %s: %w", l.addr, err)
	}
	l.cur = nl
	l.swap()
	return nil
}

// swap wakes Accept. Callers hold l.mu.
func (l *switchListener) swap() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// trackedConn is an accepted connection that refuse can close. It keeps
// *net.TCPConn's methods (SetLinger for the Reset fault).
type trackedConn struct {
	*net.TCPConn
	l *switchListener
}

func (c *trackedConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	return c.TCPConn.Close()
}
