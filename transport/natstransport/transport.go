package natstransport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/internal/subject"
)

// Transport publishes events to, and subscribes to events from, one
// JetStream stream. It is safe for concurrent use.
type Transport struct {
	opts     Options
	conn     *nats.Conn
	ownsConn bool
	js       jetstream.JetStream

	mu     sync.Mutex
	closed bool
	subs   map[*subscription]struct{}
	owned  []io.Closer // closed by Close, after the connection; see Own

	// pubMu orders publishes: each message expects lastSeq, the stream's
	// last sequence as this writer predicts it, known while synced.
	pubMu   sync.Mutex
	lastSeq uint64
	lastID  string // the id of the message at lastSeq, if this writer knows it
	synced  atomic.Bool
	// mustRead is set by a failure and cleared by a ReadAll or ReadFrom:
	// until then PublishAsync refuses.
	mustRead atomic.Bool
	flying   inFlight // messages sent, not yet acknowledged

	snapMu sync.Mutex
	snaps  *Snapshots // the store beside the stream, once Snapshots opened it
}

var (
	_ events.Publisher  = (*Transport)(nil)
	_ events.Subscriber = (*Transport)(nil)
)

// Open connects to NATS (Options.URL or Options.Conn), sets up the stream
// and returns a Transport. ctx bounds the setup, as does Options.Timeout.
// It starts no server: with neither URL nor Conn it fails with ErrNoServer,
// once it has checked the other options; package natsembed opens a
// Transport over a server it starts in the process.
//
// A writer (the default) creates the stream, or updates an existing one to
// the configuration in the package doc; it refuses, with ErrSubjectsMismatch,
// to change the subjects of a stream that already holds events. With
// Options.Provisioned, a writer only checks the stream an operator
// provisioned (see Provision); with Options.ReadOnly, Open only reads the
// stream's configuration. Neither creates or changes the stream.
//
// Errors wrap ErrInvalidOptions, ErrConflictingOptions, ErrNoServer,
// ErrStream, ErrSubjectsMismatch, ErrNoStream, ErrPrefixMismatch or the
// connection's error.
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

// connect uses opts.Conn or dials opts.URL.
func (t *Transport) connect() error {
	if t.opts.Conn != nil {
		t.conn = t.opts.Conn
		return nil
	}
	url := t.opts.URL
	if url == "" {
		return fmt.Errorf("%w: set Options.URL or Options.Conn, or start a server in the process with natsembed.Open", ErrNoServer)
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

// setup creates the JetStream context, then sets up the stream (a writer)
// or learns its prefix (a reader).
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
	switch {
	case t.opts.ReadOnly:
		return t.learnPrefix(ctx)
	case t.opts.Provisioned:
		return t.checkProvisioned(ctx)
	}
	return t.createOrUpdate(ctx)
}

// Provision creates the stream of opts, or updates it to the configuration
// in the package doc, as a writer's Open does, and returns: the step an
// operator takes, with credentials allowed to manage streams, before
// markets open the stream with Options.Provisioned (see package natsauth).
// It refuses, with ErrSubjectsMismatch, to change the subjects of a stream
// that holds events. opts must not set ReadOnly or Provisioned. Errors are
// those of Open.
func Provision(ctx context.Context, opts Options) error {
	if opts.ReadOnly || opts.Provisioned {
		return fmt.Errorf("%w: Provision with ReadOnly or Provisioned", ErrConflictingOptions)
	}
	t, err := Open(ctx, opts)
	if err != nil {
		return err
	}
	return t.Close()
}

// checkProvisioned reads the stream's configuration, without changing it,
// and checks that it is one Provision makes for this prefix: its subjects
// (ErrSubjectsMismatch otherwise), file storage, discard policy new, and
// deletes and purges denied (ErrStream otherwise). A missing stream fails
// with ErrNoStream.
func (t *Transport) checkProvisioned(ctx context.Context) error {
	name := t.opts.Stream
	stream, err := t.js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("%w: %s: provision it first (natstransport.Provision): %w", ErrNoStream, name, err)
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrStream, name, err)
	}
	cfg, want := stream.CachedInfo().Config, t.streamConfig()
	got, wantSubjects := slices.Clone(cfg.Subjects), slices.Clone(want.Subjects)
	slices.Sort(got)
	slices.Sort(wantSubjects)
	if !slices.Equal(got, wantSubjects) {
		return fmt.Errorf("%w: stream %s captures %q, not the subjects of prefix %q", ErrSubjectsMismatch, name, cfg.Subjects, t.opts.Prefix)
	}
	if cfg.Storage != jetstream.FileStorage || cfg.Discard != jetstream.DiscardNew || !cfg.DenyDelete || !cfg.DenyPurge {
		return fmt.Errorf("%w: stream %s is not configured as Provision makes it (file storage, discard new, deny delete and purge)", ErrStream, name)
	}
	return nil
}

// createOrUpdate creates the stream, or updates it to streamConfig unless
// that would change the subjects of a stream holding events. It reads the
// stream's info first; if another writer creates the stream in between, it
// reads it again.
func (t *Transport) createOrUpdate(ctx context.Context) error {
	cfg := t.streamConfig()
	for range 2 {
		stream, err := t.js.Stream(ctx, cfg.Name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			_, err = t.js.CreateStream(ctx, cfg)
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				continue // created by another writer since: check it
			}
			if err != nil {
				return fmt.Errorf("%w: %s: %w", ErrStream, cfg.Name, err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrStream, cfg.Name, err)
		}
		info := stream.CachedInfo()
		if info.State.Msgs > 0 && !slices.Equal(info.Config.Subjects, cfg.Subjects) {
			return fmt.Errorf("%w: stream %s holds %d events under subjects %q; refusing to change them to %q",
				ErrSubjectsMismatch, cfg.Name, info.State.Msgs, info.Config.Subjects, cfg.Subjects)
		}
		if _, err := t.js.UpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrStream, cfg.Name, err)
		}
		return nil
	}
	return fmt.Errorf("%w: %s: %w", ErrStream, cfg.Name, jetstream.ErrStreamNameAlreadyInUse)
}

// learnPrefix reads the stream's configuration, without changing it, and
// sets the prefix from its subjects.
func (t *Transport) learnPrefix(ctx context.Context) error {
	name := t.opts.Stream
	stream, err := t.js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("%w: %s: %w", ErrNoStream, name, err)
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrStream, name, err)
	}
	subjects := stream.CachedInfo().Config.Subjects
	prefix, ok := streamPrefix(subjects)
	if !ok {
		return fmt.Errorf("%w: stream %s captures subjects %q, not the event subjects \"<prefix>.<source>%s\" of every source",
			ErrStream, name, subjects, subject.Wildcards)
	}
	if t.opts.Prefix != "" && t.opts.Prefix != prefix {
		return fmt.Errorf("%w: stream %s captures %q (prefix %q), not prefix %q",
			ErrPrefixMismatch, name, subjects[0], prefix, t.opts.Prefix)
	}
	t.opts.Prefix = prefix
	return nil
}

// streamPrefix returns the prefix of a stream whose subjects are the event
// subjects StreamSubjects(prefix), in any order, or false for any other
// subjects.
func streamPrefix(subjects []string) (string, bool) {
	prefix, ok := subject.StreamPrefix(subjects)
	return prefix, ok && validPrefix(prefix)
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
		Subjects:    StreamSubjects(t.opts.Prefix), // events only, one subject per source: never commands
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

// Prefix returns the subject prefix: with Options.ReadOnly, the one learned
// from the stream.
func (t *Transport) Prefix() string { return t.opts.Prefix }

// ReadOnly reports whether the Transport was opened with Options.ReadOnly.
func (t *Transport) ReadOnly() bool { return t.opts.ReadOnly }

// ClientURL returns the URL of the server the connection is using, or ""
// while disconnected.
func (t *Transport) ClientURL() string { return t.conn.ConnectedUrl() }

// JetStream returns the JetStream context, for inspecting the stream.
func (t *Transport) JetStream() jetstream.JetStream { return t.js }

// Own hands c to the Transport: Close closes it, after the connection,
// and returns its error. It is how package natsembed makes a Transport own
// the server it started for it; the last c handed over is closed first.
// Own fails with events.ErrClosed, and c stays the caller's, if the
// Transport is closed.
func (t *Transport) Own(c io.Closer) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return fmt.Errorf("natstransport: own: %w", events.ErrClosed)
	}
	t.owned = append(t.owned, c)
	return nil
}

// Close ends every subscription (their Err reports events.ErrClosed), closes
// the connection if the Transport dialled it, then closes what it was handed
// with Own and returns their errors. Publishes in flight fail. Closing twice
// is not an error.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	subs, owned := t.subs, t.owned
	t.subs, t.owned = nil, nil
	t.mu.Unlock()
	for s := range subs {
		s.Close()
	}
	t.release()
	var errs []error
	for i := len(owned) - 1; i >= 0; i-- {
		errs = append(errs, owned[i].Close())
	}
	return errors.Join(errs...)
}

// release closes the connection if the Transport dialled it.
func (t *Transport) release() {
	if t.ownsConn && t.conn != nil {
		t.conn.Close()
	}
}

func (t *Transport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}
