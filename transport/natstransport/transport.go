package natstransport

import (
	"context"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/events"
)

// Transport publishes events to, and subscribes to events from, one
// JetStream stream. It is safe for concurrent use.
type Transport struct {
	opts     Options
	conn     *nats.Conn
	ownsConn bool
	embedded *Embedded // nil unless the Transport started it
	js       jetstream.JetStream

	mu     sync.Mutex
	closed bool
	subs   map[*subscription]struct{}
}

var (
	_ events.Publisher  = (*Transport)(nil)
	_ events.Subscriber = (*Transport)(nil)
)

// Open connects to NATS (or starts an embedded server, see Options.URL),
// creates or updates the stream and returns a Transport. ctx bounds the
// setup, as does Options.Timeout. Errors wrap ErrInvalidOption,
// ErrConflictingOptions, ErrEmbedded, ErrStream or the connection's error.
func Open(ctx context.Context, opts Options) (*Transport, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	t := &Transport{opts: opts, subs: make(map[*subscription]struct{})}
	if err := t.connect(); err != nil {
		t.release()
		return nil, err
	}
	if err := t.setup(ctx); err != nil {
		t.release()
		return nil, err
	}
	return t, nil
}

// connect uses opts.Conn, dials opts.URL, or starts an embedded server and
// dials it.
func (t *Transport) connect() error {
	if t.opts.Conn != nil {
		t.conn = t.opts.Conn
		return nil
	}
	url := t.opts.URL
	if url == "" {
		e, err := StartEmbedded(EmbeddedOptions{DataDir: t.opts.DataDir, ReadyTimeout: t.opts.Timeout})
		if err != nil {
			return err
		}
		t.embedded, url = e, e.ClientURL()
	}
	conn, err := nats.Connect(url,
		nats.Name(t.opts.Name),
		nats.Timeout(t.opts.Timeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(t.opts.ReconnectWait),
	)
	if err != nil {
		return fmt.Errorf("natstransport: connect %s: %w", url, err)
	}
	t.conn, t.ownsConn = conn, true
	return nil
}

// setup creates the JetStream context and the stream.
func (t *Transport) setup(ctx context.Context) error {
	js, err := jetstream.New(t.conn,
		jetstream.WithPublishAsyncMaxPending(t.opts.MaxPending),
		jetstream.WithPublishAsyncTimeout(t.opts.AckTimeout),
	)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStream, err)
	}
	t.js = js
	ctx, cancel := context.WithTimeout(ctx, t.opts.Timeout)
	defer cancel()
	if _, err := js.CreateOrUpdateStream(ctx, t.streamConfig()); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrStream, t.opts.Stream, err)
	}
	return nil
}

// streamConfig is the configuration of the stream. See the package doc.
func (t *Transport) streamConfig() jetstream.StreamConfig {
	maxBytes := t.opts.MaxBytes
	if maxBytes == 0 {
		maxBytes = -1
	}
	return jetstream.StreamConfig{
		Name:        t.opts.Stream,
		Description: "scarcity events",
		Subjects:    []string{t.opts.Prefix + ".*.*.*"}, // events only: <prefix>.<source>.<type>.<subject>
		Retention:   jetstream.LimitsPolicy,
		MaxMsgs:     -1,
		MaxBytes:    maxBytes,
		MaxAge:      0,
		Discard:     jetstream.DiscardNew,
		Storage:     jetstream.FileStorage,
		Replicas:    t.opts.Replicas,
		Duplicates:  t.opts.DuplicateWindow,
		DenyDelete:  true,
		DenyPurge:   true,
	}
}

// Stream returns the stream's name.
func (t *Transport) Stream() string { return t.opts.Stream }

// Prefix returns the subject prefix.
func (t *Transport) Prefix() string { return t.opts.Prefix }

// ClientURL returns the URL of the server the connection is using (the
// embedded server's, if the Transport started one), or "" while
// disconnected.
func (t *Transport) ClientURL() string { return t.conn.ConnectedUrl() }

// JetStream returns the JetStream context, for inspecting the stream.
func (t *Transport) JetStream() jetstream.JetStream { return t.js }

// Close ends every subscription (their Err reports events.ErrClosed), closes
// the connection if the Transport dialled it and shuts down the embedded
// server if it started one. Publishes in flight fail. Closing twice is not
// an error.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	subs := t.subs
	t.subs = nil
	t.mu.Unlock()
	for s := range subs {
		s.Close()
	}
	t.release()
	return nil
}

// release closes what the Transport owns.
func (t *Transport) release() {
	if t.ownsConn && t.conn != nil {
		t.conn.Close()
	}
	if t.embedded != nil {
		t.embedded.Shutdown()
	}
}

func (t *Transport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}
