package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/examples/internal/watch"
	"github.com/scarcitylabs/scarcity/sched"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
	"github.com/scarcitylabs/scarcity/transport/natsauth"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// marketOptions are the flags of the market command.
type marketOptions struct {
	URL     string
	CA      string // CA file to verify the server with; empty: no TLS
	Creds   string // the market's seed file
	Prefix  string
	Stream  string // empty: derived from Prefix
	Agents  []string
	Credits int64
	Every   time.Duration // between clearing rounds
	For     time.Duration // how long to run; 0 until interrupted
	Clock   clock.Clock   // nil: the real clock
	// Correlation names this run on the stream; empty means the prefix
	// and the start time, so that runs on a kept stream stay apart.
	Correlation string
	// Metrics is the address to serve Prometheus metrics at (/metrics);
	// empty: none. Log is the log format, text or json, at Level.
	Metrics string
	Log     string
	Level   slog.Level
	Stderr  io.Writer // where logs go; nil: io.Discard
}

// resources are what every shard sells: its own pool of CPU and tokens.
var resources = []bundle.Resource{
	{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
	{Name: "tokens", Unit: "tokens", Capacity: 100_000, Enforcement: bundle.ServiceLevel},
}

// shard is one market: its connection, its stream and the agent API it
// serves.
type shard struct {
	metrics *watch.Metrics // nil without -metrics
	nc      *nats.Conn
	stream  *natstransport.Transport
	api     *agentapi.Server
	market  *scarcity.Market
}

// startShard connects to NATS as the shard's market user, opens the
// shard's provisioned stream under its prefix, builds the market, opens the
// agents' accounts with o.Credits each and serves the agent API.
func startShard(ctx context.Context, o marketOptions) (*shard, error) {
	opts, err := natsauth.MarketOptions(o.Prefix, o.Creds)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(o.URL, append(opts, tlsOptions(o.CA)...)...)
	if err != nil {
		return nil, err
	}
	s := &shard{nc: nc}
	if err := s.start(ctx, o); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *shard) start(ctx context.Context, o marketOptions) error {
	stream := o.Stream
	if stream == "" {
		stream = natsauth.StreamName(o.Prefix)
	}
	correlation := o.Correlation
	if correlation == "" {
		correlation = o.Prefix + "-" + time.Now().UTC().Format("20060102T150405")
	}
	var err error
	// The market's user may not create or change its stream: the admin
	// provisioned it (the server and provision commands).
	s.stream, err = natstransport.Open(ctx, natstransport.Options{Conn: s.nc, Prefix: o.Prefix, Stream: stream, Provisioned: true})
	if err != nil {
		return err
	}
	logger, err := watch.Logger(cmp.Or[io.Writer](o.Stderr, io.Discard), cmp.Or(o.Log, "text"), o.Level)
	if err != nil {
		return err
	}
	cfg := scarcity.Config{
		Resources:   resources,
		Reserve:     map[string]string{"cpu": "0.0005", "tokens": "0.000001"},
		ClearEvery:  o.Every,
		Clock:       o.Clock,
		Publisher:   s.stream,
		Correlation: correlation,
		Logger:      logger,
	}
	apiOpts := agentapi.Options{Prefix: o.Prefix, Logger: logger}
	if o.Metrics != "" {
		if s.metrics, err = watch.ServeMetrics(o.Metrics); err != nil {
			return err
		}
		cfg.Meter, apiOpts.Meter = s.metrics.Provider, s.metrics.Provider
	}
	s.market, err = scarcity.New(ctx, cfg)
	if err != nil {
		return err
	}
	for _, a := range o.Agents {
		if err := s.market.Open(ctx, a, apd.New(o.Credits, 0)); err != nil {
			return fmt.Errorf("open %s: %w", a, err)
		}
	}
	s.api, err = agentapi.Serve(ctx, s.nc, s.market, apiOpts)
	return err
}

// close stops serving and closes the stream and the connection.
func (s *shard) close() {
	if s.api != nil {
		_ = s.api.Close()
	}
	if s.stream != nil {
		_ = s.stream.Close()
	}
	if s.metrics != nil {
		_ = s.metrics.Close(context.Background())
	}
	s.nc.Close()
}

// verdict reads the shard's whole stream back from JetStream and checks it.
func (s *shard) verdict(ctx context.Context) ([]events.Event, error) {
	evs, err := s.stream.ReadAll(ctx)
	if err != nil {
		return nil, err
	}
	return evs, benchkit.Check(evs)
}

// runMarket runs one shard on the real clock until ctx is done or o.For
// has passed, printing every round, then checks its stream.
func runMarket(ctx context.Context, w io.Writer, o marketOptions) error {
	s, err := startShard(ctx, o)
	if err != nil {
		return err
	}
	defer s.close()
	fmt.Fprintf(w, "market %s: stream %s, serving %s.cmd.v1.<agent>.<verb> for %s\n",
		o.Prefix, s.stream.Stream(), o.Prefix, strings.Join(o.Agents, ", "))
	if o.For > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.For)
		defer cancel()
	}
	if err := s.tickUntilDone(ctx, w, o.Agents); err != nil {
		return err
	}
	evs, err := s.verdict(context.Background())
	fmt.Fprintf(w, "market %s: %d events on stream %s\n", o.Prefix, len(evs), s.stream.Stream())
	if err != nil {
		fmt.Fprintf(w, "benchkit: FAIL\n")
		return err
	}
	fmt.Fprintf(w, "benchkit: PASS\n")
	return nil
}

// tickUntilDone ticks the market whenever it has work, printing each
// round that clears, until ctx is done.
func (s *shard) tickUntilDone(ctx context.Context, w io.Writer, agents []string) error {
	for {
		t := time.NewTimer(time.Until(s.market.Next()))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		round := s.market.Round()
		if err := s.market.Tick(context.WithoutCancel(ctx)); err != nil && !errors.Is(err, sched.ErrAftermath) {
			return err
		}
		if s.market.Round() != round {
			printRound(w, s.market, agents)
		}
	}
}

// printRound prints the round number, the clearing prices and the
// bundles the agents hold.
func printRound(w io.Writer, m *scarcity.Market, agents []string) {
	p := m.Prices()
	active := 0
	for _, a := range agents {
		active += len(m.Scheduler().Active(a))
	}
	fmt.Fprintf(w, "round %d: cpu %s, tokens %s (credits per unit per second); %d bundles active\n",
		m.Round(), p["cpu"].Text('f'), p["tokens"].Text('f'), active)
}
