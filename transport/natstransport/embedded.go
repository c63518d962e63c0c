package natstransport

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedOptions configures an embedded server. The zero value means a
// server on a random loopback port storing into a new temporary directory.
type EmbeddedOptions struct {
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
	// Default DefaultTimeout.
	ReadyTimeout time.Duration
}

// Embedded is a NATS server with JetStream running in this process.
type Embedded struct {
	srv     *server.Server
	dir     string
	tempDir bool
	once    sync.Once
}

// StartEmbedded starts a NATS server with JetStream in this process and
// waits until it accepts connections. Errors wrap ErrEmbedded or
// ErrInvalidOption.
func StartEmbedded(opts EmbeddedOptions) (*Embedded, error) {
	if opts.Port < 0 || opts.Port > 65535 || opts.MaxStore < 0 || opts.ReadyTimeout < 0 {
		return nil, fmt.Errorf("%w: EmbeddedOptions %+v", ErrInvalidOption, opts)
	}
	e := &Embedded{dir: opts.DataDir}
	if e.dir == "" {
		dir, err := os.MkdirTemp("", "scarcity-nats-*")
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrEmbedded, err)
		}
		e.dir, e.tempDir = dir, true
	}
	srv, err := server.NewServer(serverOptions(opts, e.dir))
	if err != nil {
		e.removeTemp()
		return nil, fmt.Errorf("%w: %w", ErrEmbedded, err)
	}
	srv.Start()
	ready := orDefault(opts.ReadyTimeout, DefaultTimeout)
	if !srv.ReadyForConnections(ready) {
		srv.Shutdown()
		srv.WaitForShutdown()
		e.removeTemp()
		return nil, fmt.Errorf("%w: not ready after %v", ErrEmbedded, ready)
	}
	e.srv = srv
	return e, nil
}

func serverOptions(opts EmbeddedOptions, dir string) *server.Options {
	port := opts.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return &server.Options{
		ServerName:        opts.ServerName,
		Host:              orDefault(opts.Host, "127.0.0.1"),
		Port:              port,
		JetStream:         true,
		StoreDir:          dir,
		JetStreamMaxStore: opts.MaxStore,
		NoLog:             true,
		NoSigs:            true,
	}
}

// ClientURL returns the URL clients connect to.
func (e *Embedded) ClientURL() string { return e.srv.ClientURL() }

// DataDir returns the JetStream store directory.
func (e *Embedded) DataDir() string { return e.dir }

// Shutdown stops the server, waits until it has stopped and, if StartEmbedded
// created the store directory, removes it. Shutting down twice is not an
// error.
func (e *Embedded) Shutdown() {
	e.once.Do(func() {
		e.srv.Shutdown()
		e.srv.WaitForShutdown()
		e.removeTemp()
	})
}

func (e *Embedded) removeTemp() {
	if e.tempDir {
		_ = os.RemoveAll(e.dir)
	}
}
