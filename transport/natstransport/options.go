package natstransport

import (
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Defaults of Options.
const (
	DefaultPrefix             = "scarcity"
	DefaultStream             = "SCARCITY"
	DefaultReplicas           = 1
	DefaultDuplicateWindow    = 2 * time.Minute
	DefaultMaxPending         = 4096
	DefaultAckTimeout         = 5 * time.Second
	DefaultTimeout            = 10 * time.Second
	DefaultReconnectWait      = 250 * time.Millisecond
	DefaultSubscriptionBuffer = 256
	// MaxReplicas is the most replicas JetStream keeps of a stream.
	MaxReplicas = 5
)

// Options configures a Transport. Its zero value means the defaults,
// subjects under "scarcity" and the stream "SCARCITY" with one replica, but
// names no server: set URL or Conn, or open the Transport with
// natsembed.Open, over a server in the process.
type Options struct {
	// URL is the NATS server (or comma-separated servers) to connect to.
	// Open needs URL or Conn (ErrNoServer otherwise); natsembed.Open sets
	// it to the server it starts.
	URL string
	// Conn is an existing connection to use instead of dialling; the
	// Transport does not close it. Exclusive with URL and DataDir.
	Conn *nats.Conn
	// Name is the connection name the server shows (default "scarcity").
	Name string
	// Prefix is the first token(s) of every subject: a dot-separated list of
	// tokens without wildcards or whitespace. Default DefaultPrefix; with
	// ReadOnly, default the prefix the stream's subjects name, and a Prefix
	// given must match it.
	Prefix string
	// Stream is the JetStream stream name. Default DefaultStream.
	Stream string
	// ReadOnly opens the Transport as a reader of an existing stream, and
	// never creates or changes the stream or its configuration: Open fails
	// with ErrNoStream if the stream does not exist, learns the prefix from
	// the stream's subjects StreamSubjects(prefix) (ErrPrefixMismatch if
	// Prefix is set and differs), and Publish fails with ErrReadOnly.
	// Subscribe, ReadAll, ReadFrom and LastSequence work as usual;
	// Snapshots only opens an existing snapshot bucket (ErrNoSnapshots if
	// there is none) and its store only reads. Replicas, DuplicateWindow and
	// MaxBytes, which configure the stream, are then ignored. Programs that
	// only read a stream (verify, audits, dashboards) set it, so that they
	// cannot reconfigure a live market's stream.
	ReadOnly bool
	// Provisioned opens the Transport as a writer of a stream that an
	// operator provisioned beforehand (Provision, with credentials allowed
	// to manage streams): Open never creates or changes the stream, only
	// reads its configuration, and fails with ErrNoStream if it does not
	// exist, ErrSubjectsMismatch if its subjects are not those of Prefix,
	// ErrStream if it is not configured as Provision makes it. Publish,
	// Subscribe and the reads work as usual, and Snapshots creates the
	// snapshot bucket on first use as any writer does; Replicas,
	// DuplicateWindow and MaxBytes are ignored. A market whose NATS user may not manage streams
	// (the least privilege of package natsauth) sets it. Exclusive with
	// ReadOnly.
	Provisioned bool
	// Replicas is the stream's replication factor, 1 to MaxReplicas; more
	// than one needs a JetStream cluster. Default 1.
	Replicas int
	// DataDir is the JetStream store directory of the server natsembed.Open
	// starts in the process. Empty means a new temporary directory, removed
	// when the Transport closes: set it for events that outlive the
	// process. Exclusive with URL and Conn; natstransport.Open, which
	// starts no server, does not use it.
	DataDir string
	// DuplicateWindow is how long the stream remembers event ids to drop
	// re-publishes. Default DefaultDuplicateWindow.
	DuplicateWindow time.Duration
	// MaxBytes bounds the stream's size; a publish that would exceed it
	// fails and nothing is discarded. Zero means unlimited.
	MaxBytes int64
	// MaxPending bounds the asynchronous publishes awaiting an ack on the
	// connection; a publisher beyond it waits up to AckTimeout for room.
	// Default DefaultMaxPending.
	MaxPending int
	// AckTimeout bounds the wait for one publish's ack. Default
	// DefaultAckTimeout.
	AckTimeout time.Duration
	// Timeout bounds connecting (and, with natsembed.Open, starting the
	// server) and setting up the stream. Default DefaultTimeout.
	Timeout time.Duration
	// ReconnectWait is the pause between reconnect attempts; the connection
	// retries forever until the Transport closes. Default
	// DefaultReconnectWait.
	ReconnectWait time.Duration
	// SubscriptionBuffer is the capacity of a subscription's channel, and
	// the most messages a subscription pulls ahead of its reader. Default
	// DefaultSubscriptionBuffer.
	SubscriptionBuffer int
}

// withDefaults returns o with its zero fields set to the defaults, or an
// error wrapping ErrInvalidOptions or ErrConflictingOptions.
func (o Options) withDefaults() (Options, error) {
	if o.URL != "" && o.Conn != nil {
		return o, fmt.Errorf("%w: both URL and Conn", ErrConflictingOptions)
	}
	if o.ReadOnly && o.Provisioned {
		return o, fmt.Errorf("%w: both ReadOnly and Provisioned", ErrConflictingOptions)
	}
	if o.DataDir != "" && (o.URL != "" || o.Conn != nil) {
		return o, fmt.Errorf("%w: DataDir is for a server in the process (natsembed.Open) only", ErrConflictingOptions)
	}
	o.Name = orDefault(o.Name, "scarcity")
	if !o.ReadOnly {
		o.Prefix = orDefault(o.Prefix, DefaultPrefix)
	}
	o.Stream = orDefault(o.Stream, DefaultStream)
	o.Replicas = orDefault(o.Replicas, DefaultReplicas)
	o.DuplicateWindow = orDefault(o.DuplicateWindow, DefaultDuplicateWindow)
	o.MaxPending = orDefault(o.MaxPending, DefaultMaxPending)
	o.AckTimeout = orDefault(o.AckTimeout, DefaultAckTimeout)
	o.Timeout = orDefault(o.Timeout, DefaultTimeout)
	o.ReconnectWait = orDefault(o.ReconnectWait, DefaultReconnectWait)
	o.SubscriptionBuffer = orDefault(o.SubscriptionBuffer, DefaultSubscriptionBuffer)
	return o, o.validate()
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (o Options) validate() error {
	switch {
	case (o.Prefix != "" || !o.ReadOnly) && !validPrefix(o.Prefix):
		return fmt.Errorf("%w: Prefix %q: want dot-separated tokens without wildcards or whitespace", ErrInvalidOptions, o.Prefix)
	case !validStreamName(o.Stream):
		return fmt.Errorf("%w: Stream %q: want a name without '.', '*', '>', '/', '\\' or whitespace", ErrInvalidOptions, o.Stream)
	case o.Replicas < 1 || o.Replicas > MaxReplicas:
		return fmt.Errorf("%w: Replicas %d: want 1 to %d", ErrInvalidOptions, o.Replicas, MaxReplicas)
	case o.DuplicateWindow < 0, o.AckTimeout < 0, o.Timeout < 0, o.ReconnectWait < 0:
		return fmt.Errorf("%w: negative duration", ErrInvalidOptions)
	case o.MaxBytes < 0:
		return fmt.Errorf("%w: MaxBytes %d", ErrInvalidOptions, o.MaxBytes)
	case o.MaxPending < 0:
		return fmt.Errorf("%w: MaxPending %d", ErrInvalidOptions, o.MaxPending)
	case o.SubscriptionBuffer < 0:
		return fmt.Errorf("%w: SubscriptionBuffer %d", ErrInvalidOptions, o.SubscriptionBuffer)
	}
	return nil
}

func validPrefix(p string) bool {
	for t := range strings.SplitSeq(p, ".") {
		if t == "" || strings.ContainsAny(t, "*> \t\r\n") {
			return false
		}
	}
	return true
}

func validStreamName(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".*>/\\ \t\r\n")
}
