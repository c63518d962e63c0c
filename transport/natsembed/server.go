package natsembed

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// ErrStart reports a server that failed to start.
var ErrStart = errors.New("natsembed: server did not start")

// Options configures a Server. The zero value means a server on a random
// loopback port storing into a new temporary directory.
type Options struct {
	// DataDir is the JetStream store directory. Empty means a new temporary
	// directory, removed by Shutdown.
	DataDir string
	// Host is the interface to listen on. Default "127.0.0.1".
	Host string
	// Port is the client port; 0 means a random free port.
	Port int
	// ServerName names the server. Default: nats-server's generated name.
	ServerName string
	// MaxStore bounds JetStream file storage in bytes; 0 means the server's
	// default (a share of the disk).
	MaxStore int64
	// ReadyTimeout bounds the wait for the server to accept connections.
	// Default natstransport.DefaultTimeout.
	ReadyTimeout time.Duration
}

// Server is a NATS server with JetStream running in this process.
type Server struct {
	srv     *server.Server
	dir     string
	tempDir bool
	once    sync.Once
}

// Start starts a NATS server with JetStream in this process and waits
// until it accepts connections. Errors wrap ErrStart, or
// natstransport.ErrInvalidOptions for an Options field out of its bounds.
func Start(opts Options) (*Server, error) {
	if opts.Port < 0 || opts.Port > 65535 || opts.MaxStore < 0 || opts.ReadyTimeout < 0 {
		return nil, fmt.Errorf("%w: natsembed.Options %+v", natstransport.ErrInvalidOptions, opts)
	}
	s := &Server{dir: opts.DataDir}
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "scarcity-nats-*")
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrStart, err)
		}
		s.dir, s.tempDir = dir, true
	}
	srv, err := server.NewServer(serverOptions(opts, s.dir))
	if err != nil {
		s.removeTemp()
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	srv.Start()
	ready := opts.ReadyTimeout
	if ready == 0 {
		ready = natstransport.DefaultTimeout
	}
	if !srv.ReadyForConnections(ready) {
		srv.Shutdown()
		srv.WaitForShutdown()
		s.removeTemp()
		return nil, fmt.Errorf("%w: not ready after %v", ErrStart, ready)
	}
	s.srv = srv
	return s, nil
}

func serverOptions(opts Options, dir string) *server.Options {
	port := opts.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	host := opts.Host
	if host == "" {
		host = "127.0.0.1"
	}
	return &server.Options{
		ServerName:        opts.ServerName,
		Host:              host,
		Port:              port,
		JetStream:         true,
		StoreDir:          dir,
		JetStreamMaxStore: opts.MaxStore,
		NoLog:             true,
		NoSigs:            true,
	}
}

// ClientURL returns the URL clients connect to.
func (s *Server) ClientURL() string { return s.srv.ClientURL() }

// DataDir returns the JetStream store directory.
func (s *Server) DataDir() string { return s.dir }

// Shutdown stops the server, waits until it has stopped and, if Start
// created the store directory, removes it. Shutting down twice is not an
// error.
func (s *Server) Shutdown() {
	s.once.Do(func() {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		s.removeTemp()
	})
}

func (s *Server) removeTemp() {
	if s.tempDir {
		_ = os.RemoveAll(s.dir)
	}
}
