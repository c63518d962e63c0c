package agentapi

import (
	"fmt"
	"log/slog"
	"time"
)

// Defaults and bounds of Options.
const (
	DefaultPrefix        = "scarcity"
	DefaultMaxMessage    = 64 << 10
	MaxMaxMessage        = 1 << 20
	DefaultTimeout       = 5 * time.Second
	DefaultHandleTimeout = 10 * time.Second
	DefaultWorkers       = 4
	MaxWorkers           = 256
	DefaultQueue         = "scarcity-market"
)

// Options configures a Server or a Client. The zero value of every field
// means its default.
type Options struct {
	// Prefix is the first token(s) of every subject; DefaultPrefix if empty.
	Prefix string
	// MaxMessage bounds the size in bytes of a request (and, on the
	// client, of a reply); DefaultMaxMessage if zero, at most
	// MaxMaxMessage. A larger request gets an invalid_request reply.
	MaxMessage int
	// Timeout bounds a client request whose context has no deadline;
	// DefaultTimeout if zero.
	Timeout time.Duration
	// HandleTimeout bounds the market call behind one request on the
	// server; DefaultHandleTimeout if zero.
	HandleTimeout time.Duration
	// Workers is the number of queue subscriptions a Server handles
	// requests on, each one request at a time; DefaultWorkers if zero.
	Workers int
	// Queue is the queue group of the Server's subscriptions;
	// DefaultQueue if empty.
	Queue string
	// Logger receives the Server's warnings: dropped requests, failed
	// replies and internal errors (whose details are not sent to the
	// agent). Nil discards them.
	Logger *slog.Logger
}

// withDefaults returns o with its zero fields set, and validates it.
func (o Options) withDefaults() (Options, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.MaxMessage == 0 {
		o.MaxMessage = DefaultMaxMessage
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.HandleTimeout == 0 {
		o.HandleTimeout = DefaultHandleTimeout
	}
	if o.Workers == 0 {
		o.Workers = DefaultWorkers
	}
	if o.Queue == "" {
		o.Queue = DefaultQueue
	}
	return o, o.validate()
}

func (o Options) validate() error {
	if err := validPrefix(o.Prefix); err != nil {
		return err
	}
	switch {
	case o.MaxMessage < 0 || o.MaxMessage > MaxMaxMessage:
		return fmt.Errorf("%w: MaxMessage %d not in 1..%d", ErrInvalidOptions, o.MaxMessage, MaxMaxMessage)
	case o.Timeout < 0 || o.HandleTimeout < 0:
		return fmt.Errorf("%w: negative timeout", ErrInvalidOptions)
	case o.Workers < 0 || o.Workers > MaxWorkers:
		return fmt.Errorf("%w: Workers %d not in 1..%d", ErrInvalidOptions, o.Workers, MaxWorkers)
	}
	return validPrefix(o.Queue)
}
