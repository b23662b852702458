package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	gosync "sync"
	"syscall"
	"time"
)

// DefaultListen is where the API listens unless told otherwise.
const DefaultListen = "127.0.0.1:8273"

// maxBody caps every request body; a larger one gets 413.
const maxBody = 1 << 20

// Options configures a Server. Only Listen is needed (it defaults to
// DefaultListen); zero durations take the defaults given below.
type Options struct {
	Listen string // host:port for TCP; "-" for no TCP listener (socket only)
	// Socket is an optional Unix socket path. It is created 0600: the file
	// permissions are its access control, so requests on it need no token.
	Socket string
	// Token, when set, is required on every request except /healthz
	// (Authorization: Bearer or X-API-Key). It is required to listen on
	// anything but loopback.
	Token string
	// AllowedHosts are host names accepted in the Host header besides
	// loopback names and IP literals (e.g. the machine's name on the LAN).
	AllowedHosts []string
	Logger       *slog.Logger // used as is: the caller adds "component"
	Version      string
	// Metrics, when set, is served at GET /metrics (outside Prefix, where
	// Prometheus looks) behind the same checks as every route.
	Metrics http.Handler
	// Page, when set, is the web page: served at GET / and GET /static/…
	// (outside Prefix) behind the same checks as every route.
	Page http.Handler

	ReadHeaderTimeout time.Duration // default 5 s
	ReadTimeout       time.Duration // default 30 s; cleared for event streams
	IdleTimeout       time.Duration // default 120 s
	ShutdownTimeout   time.Duration // default 5 s
	Heartbeat         time.Duration // event-stream comment interval, default 15 s
}

// Server serves the API for one Backend.
type Server struct {
	b        Backend
	opts     Options
	log      *slog.Logger
	token    [32]byte // SHA-256 of Options.Token, compared in constant time
	hasToken bool
	hosts    map[string]bool
	handler  http.Handler
	srv      *http.Server

	mu        gosync.Mutex
	listeners []net.Listener
	done      chan struct{} // closed at shutdown: ends event streams
	closeOnce gosync.Once
}

// New checks opts and builds a Server; it does not listen yet. Listening
// on a non-loopback address without a token is refused.
func New(b Backend, opts Options) (*Server, error) {
	if b == nil {
		return nil, errors.New("api: nil Backend")
	}
	if opts.Listen == "" {
		opts.Listen = DefaultListen
	}
	if err := checkListen(opts.Listen, opts.Token); err != nil {
		return nil, err
	}
	if opts.Listen == "-" && opts.Socket == "" {
		return nil, errors.New("http.listen is \"-\" (no TCP listener) but no socket is set: nothing would serve the API")
	}
	setDefault(&opts.ReadHeaderTimeout, 5*time.Second)
	setDefault(&opts.ReadTimeout, 30*time.Second)
	setDefault(&opts.IdleTimeout, 120*time.Second)
	setDefault(&opts.ShutdownTimeout, 5*time.Second)
	setDefault(&opts.Heartbeat, 15*time.Second)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{b: b, opts: opts, log: opts.Logger, done: make(chan struct{})}
	if opts.Token != "" {
		s.token, s.hasToken = hashToken(opts.Token), true
	}
	s.hosts = map[string]bool{"localhost": true}
	for _, h := range opts.AllowedHosts {
		s.hosts[normHost(h)] = true
	}
	s.handler = s.secure(s.routes())
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		ReadTimeout:       opts.ReadTimeout,
		IdleTimeout:       opts.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ConnContext:       markUnixConn,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.srv.RegisterOnShutdown(s.closeStreams)
	return s, nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// checkListen refuses a non-loopback address without a token, saying how
// to fix it.
func checkListen(listen, token string) error {
	if listen == "-" {
		return nil
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("http.listen %q is not host:port: use e.g. %q", listen, DefaultListen)
	}
	if !isLoopbackHost(host) && token == "" {
		return fmt.Errorf("http.listen %q is reachable from other machines and http.token is empty: "+
			"set http.token (a long random string, e.g. `openssl rand -hex 32`) or listen on %s", listen, DefaultListen)
	}
	return nil
}

// isLoopbackHost says whether a listen host binds loopback only. An empty
// host or 0.0.0.0 binds every interface.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Handler is the whole API with its security checks, for tests and for
// mounting elsewhere.
func (s *Server) Handler() http.Handler { return s.handler }

// Listen binds the TCP address and the socket (if any). Run calls it when
// it has not been called; calling it first lets the caller learn Addr (port
// 0) or fail early.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.listeners) > 0 {
		return nil
	}
	if s.opts.Listen != "-" {
		ln, err := net.Listen("tcp", s.opts.Listen)
		if err != nil {
			return listenError(s.opts.Listen, err)
		}
		s.listeners = append(s.listeners, ln)
	}
	if s.opts.Socket != "" {
		ln, err := listenUnix(s.opts.Socket)
		if err != nil {
			for _, l := range s.listeners {
				l.Close()
			}
			s.listeners = nil
			return err
		}
		s.listeners = append(s.listeners, ln)
	}
	return nil
}

func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("http.listen %s: address already in use: is another tapedeck running? (%w)", addr, err)
	}
	return fmt.Errorf("http.listen %s: %w", addr, err)
}

// listenUnix creates the socket 0600. A stale socket file left by a crash
// is removed; a live one means another daemon is running.
func listenUnix(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("http.socket %s exists and is not a socket: remove it or choose another path", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("http.socket %s: address already in use: is another tapedeck running?", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("http.socket %s: removing stale socket: %w", path, err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("http.socket %s: %w", path, err)
	}
	// Between Listen and Chmod the socket has the umask's mode; keeping it
	// in a 0700 folder (the state dir) closes that window.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("http.socket %s: %w", path, err)
	}
	return ln, nil
}

// Addr is the TCP address listened on ("" before Listen or without TCP).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ln := range s.listeners {
		if ln.Addr().Network() == "tcp" {
			return ln.Addr().String()
		}
	}
	return ""
}

// Run listens (unless Listen was called) and serves until ctx ends, then
// shuts down gracefully within ShutdownTimeout. It returns nil on a clean
// stop.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	lns := append([]net.Listener(nil), s.listeners...)
	s.mu.Unlock()
	errc := make(chan error, len(lns))
	for _, ln := range lns {
		s.log.Info("listening", "network", ln.Addr().Network(), "addr", ln.Addr().String())
		go func() { errc <- s.srv.Serve(ln) }()
	}
	select {
	case err := <-errc:
		s.closeStreams()
		s.srv.Close()
		return fmt.Errorf("api: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if err != nil {
		s.srv.Close()
		return fmt.Errorf("api: shutdown: %w", err)
	}
	return nil
}

// closeStreams ends every event stream, so Shutdown need not wait for them.
func (s *Server) closeStreams() { s.closeOnce.Do(func() { close(s.done) }) }

type unixConnKey struct{}

// markUnixConn tags requests arriving on the Unix socket, whose file
// permissions stand in for the token.
func markUnixConn(ctx context.Context, c net.Conn) context.Context {
	if c.LocalAddr().Network() == "unix" {
		return context.WithValue(ctx, unixConnKey{}, true)
	}
	return ctx
}

func fromUnixSocket(r *http.Request) bool {
	v, _ := r.Context().Value(unixConnKey{}).(bool)
	return v
}
