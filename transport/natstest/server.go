package natstest

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ReadyTimeout bounds how long a helper waits for a server to accept
// connections.
const ReadyTimeout = 10 * time.Second

// Server is a NATS server with JetStream running in the test's process.
type Server struct {
	mu   sync.Mutex
	opts server.Options
	srv  *server.Server
}

// StartServer starts a NATS server with JetStream storing into tb.TempDir()
// and listening on a random loopback port. The server is shut down when the
// test ends.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	opts := baseOptions(tb.TempDir())
	s := &Server{opts: opts}
	s.start(tb)
	tb.Cleanup(s.Shutdown)
	return s
}

// baseOptions returns the options of a quiet JetStream server on a random
// loopback port storing into dir.
func baseOptions(dir string) server.Options {
	return server.Options{
		Host:      "127.0.0.1",
		Port:      server.RANDOM_PORT,
		JetStream: true,
		StoreDir:  dir,
		NoLog:     true,
		NoSigs:    true,
	}
}

// start starts the server with s.opts and pins the client port it got, so
// that a restart listens on the same one.
func (s *Server) start(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	opts := s.opts
	srv, err := server.NewServer(&opts)
	if err != nil {
		tb.Fatalf("natstest: new server: %v", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(ReadyTimeout) {
		srv.Shutdown()
		tb.Fatalf("natstest: server not ready after %v", ReadyTimeout)
	}
	if addr, ok := srv.Addr().(*net.TCPAddr); ok {
		s.opts.Port = addr.Port
	}
	s.srv = srv
}

// URL returns the URL clients connect to.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv.ClientURL()
}

// StoreDir returns the JetStream store directory, which survives restarts.
func (s *Server) StoreDir() string { return s.opts.StoreDir }

// NATS returns the running nats-server instance, for assertions that need
// its monitoring API. It changes after Restart.
func (s *Server) NATS() *server.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv
}

// Shutdown stops the server and waits until it has stopped. Shutting down
// twice is not an error; Restart starts it again.
func (s *Server) Shutdown() {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Shutdown()
	srv.WaitForShutdown()
}

// Restart shuts the server down and starts it again on the same store
// directory and port, so that clients reconnect to it and find their streams.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.Shutdown()
	s.start(tb)
}
