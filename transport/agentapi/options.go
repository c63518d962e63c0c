package agentapi

import (
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/benbjohnson/clock"
	"go.opentelemetry.io/otel/metric"
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

	// DefaultRate and DefaultBurst bound each agent's requests: 200 a
	// second, in bursts of up to 400. An agent that thinks between calls
	// (an LLM's turn takes seconds) makes a few a second, a scripted
	// trader tens; 200/s leaves both an order of magnitude of headroom,
	// while fifty agents at the limit stay within what one server answers
	// (BenchmarkServeRequests: about 15,000 balance requests a second on
	// 2 cores). The burst lets an agent catch up after a pause.
	DefaultRate  = 200
	DefaultBurst = 400
	MaxRate      = 1e6
	MaxBurst     = 1 << 20
	// DefaultByteRate and DefaultByteBurst bound the request bytes of each
	// agent: 1 MiB a second in bursts of up to 4 MiB. The market's own
	// emit quota (scarcity.Config.EmitBytes) is the finer policy; this one
	// only keeps a flood of large bodies off the queues and the decoder.
	DefaultByteRate  = 1 << 20
	DefaultByteBurst = 4 << 20
	MaxByteRate      = 1 << 40
	MaxByteBurst     = 1 << 40

	// DefaultAgentQueue bounds the requests of one agent waiting for a
	// worker; DefaultQueuedAgents the agents with requests waiting; and
	// DefaultQueueBytes the bytes of all the requests waiting.
	DefaultAgentQueue   = 64
	MaxAgentQueue       = 1 << 16
	DefaultQueuedAgents = 1024
	MaxQueuedAgents     = 1 << 20
	DefaultQueueBytes   = 32 << 20
	MaxQueueBytes       = 1 << 34
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
	// Workers is the number of goroutines that execute a Server's
	// requests, each one at a time, taking the agents with requests
	// waiting in turn; DefaultWorkers if zero. An agent has at most one
	// request in service.
	Workers int
	// Queue is the queue group of the Server's subscription;
	// DefaultQueue if empty.
	Queue string
	// Logger receives the Server's warnings: dropped requests, refused
	// commands (with the agent, verb and error code), failed replies and
	// internal errors (whose details are not sent to the agent). Nil
	// discards them.
	Logger *slog.Logger
	// Meter receives a Server's metrics: scarcity.agentapi.requests (by
	// scarcity.agentapi.verb and scarcity.agentapi.outcome, "ok" or the
	// error code the agent got) and scarcity.agentapi.request.duration (s,
	// by verb). Nil means none. Refused commands are also logged at warn.
	Meter metric.MeterProvider

	// Rate is the requests per second each agent may send to a Server, on
	// average; Burst how many it may send at once (a token bucket per
	// agent, starting full). A request beyond them is answered
	// rate_limited (ErrRateLimited) without reaching the market. Zero
	// means DefaultRate and DefaultBurst; a negative Rate removes the
	// limit. At most MaxRate and MaxBurst.
	Rate  float64
	Burst int
	// ByteRate and ByteBurst bound, in the same way, the bytes of request
	// bodies each agent may send (what large emits cost); zero means
	// DefaultByteRate and DefaultByteBurst, a negative ByteRate removes
	// the limit. ByteBurst must be at least MaxMessage.
	ByteRate  int64
	ByteBurst int64
	// AgentQueue bounds the requests of one agent waiting for a worker,
	// QueuedAgents the agents with requests waiting, and QueueBytes the
	// bytes of all requests waiting (at least MaxMessage). A request
	// beyond any of them is answered busy (ErrBusy) without reaching the
	// market. Zero means DefaultAgentQueue, DefaultQueuedAgents and
	// DefaultQueueBytes.
	AgentQueue   int
	QueuedAgents int
	QueueBytes   int64
	// Clock drives the rate limits; nil means the real clock.
	Clock clock.Clock
	// Humans reports whether an identity (the <agent> token of a command's
	// subject) is a human's, allowed to reward agents with the reward verb
	// (see reward.go). Nil — the default — means nobody is: every reward is
	// answered not_human (ErrNotHuman). A Server calls it from its workers,
	// concurrently; a Client ignores it.
	Humans func(id string) bool
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
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if o.Burst == 0 {
		o.Burst = DefaultBurst
	}
	if o.ByteRate == 0 {
		o.ByteRate = DefaultByteRate
	}
	if o.ByteBurst == 0 {
		o.ByteBurst = DefaultByteBurst
	}
	if o.AgentQueue == 0 {
		o.AgentQueue = DefaultAgentQueue
	}
	if o.QueuedAgents == 0 {
		o.QueuedAgents = DefaultQueuedAgents
	}
	if o.QueueBytes == 0 {
		o.QueueBytes = DefaultQueueBytes
	}
	if o.Clock == nil {
		o.Clock = clock.New()
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
	case math.IsNaN(o.Rate) || o.Rate > MaxRate:
		return fmt.Errorf("%w: Rate %v above %v", ErrInvalidOptions, o.Rate, float64(MaxRate))
	case o.Burst < 0 || o.Burst > MaxBurst:
		return fmt.Errorf("%w: Burst %d not in 1..%d", ErrInvalidOptions, o.Burst, MaxBurst)
	case o.ByteRate > MaxByteRate:
		return fmt.Errorf("%w: ByteRate %d above %d", ErrInvalidOptions, o.ByteRate, int64(MaxByteRate))
	case o.ByteBurst < int64(o.MaxMessage) || o.ByteBurst > MaxByteBurst:
		return fmt.Errorf("%w: ByteBurst %d not in MaxMessage (%d)..%d", ErrInvalidOptions, o.ByteBurst, o.MaxMessage, int64(MaxByteBurst))
	case o.AgentQueue < 0 || o.AgentQueue > MaxAgentQueue:
		return fmt.Errorf("%w: AgentQueue %d not in 1..%d", ErrInvalidOptions, o.AgentQueue, MaxAgentQueue)
	case o.QueuedAgents < 0 || o.QueuedAgents > MaxQueuedAgents:
		return fmt.Errorf("%w: QueuedAgents %d not in 1..%d", ErrInvalidOptions, o.QueuedAgents, MaxQueuedAgents)
	case o.QueueBytes < int64(o.MaxMessage) || o.QueueBytes > MaxQueueBytes:
		return fmt.Errorf("%w: QueueBytes %d not in MaxMessage (%d)..%d", ErrInvalidOptions, o.QueueBytes, o.MaxMessage, int64(MaxQueueBytes))
	}
	return validPrefix(o.Queue)
}
