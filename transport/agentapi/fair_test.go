package agentapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// queueFor returns a fairQueue for o (with its defaults) on a mock clock.
func queueFor(t *testing.T, o Options) (*fairQueue, *clock.Mock) {
	t.Helper()
	clk := clock.NewMock()
	o.Clock = clk
	o, err := o.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return newFairQueue(o), clk
}

// req returns a request of agent with body.
func req(agent, body string) *request {
	return &request{msg: &nats.Msg{Data: []byte(body)}, agent: agent, verb: VerbBalance}
}

// admitAll admits a request of each agent in turn, with bodies
// "<agent><n>", and returns the code of each admission.
func admitAll(q *fairQueue, agents ...string) []string {
	var out []string
	n := map[string]int{}
	for _, a := range agents {
		n[a]++
		out = append(out, codeOf(q.admit(req(a, fmt.Sprint(a, n[a])))))
	}
	return out
}

// serveAll serves every queued request with one worker and returns their
// bodies in the order served.
func serveAll(q *fairQueue) []string {
	var out []string
	for {
		q.mu.Lock()
		empty := q.ready.len() == 0
		q.mu.Unlock()
		if empty {
			return out
		}
		r, a := q.next()
		out = append(out, string(r.msg.Data))
		q.done(a)
	}
}

// Agents with requests waiting take turns, each served in arrival order.
func TestFairQueueRoundRobin(t *testing.T) {
	q, _ := queueFor(t, Options{})
	admitAll(q, "a", "a", "a", "a", "b", "c", "c")
	want := []string{"a1", "b1", "c1", "a2", "c2", "a3", "a4"}
	if diff := cmp.Diff(want, serveAll(q)); diff != "" {
		t.Errorf("served (-want +got):\n%s", diff)
	}
	// An agent with a request in service is not served again until done,
	// and then goes behind the agents waiting.
	admitAll(q, "a", "a", "b")
	r1, a := q.next()
	r2, b := q.next()
	q.done(b)
	admitAll(q, "c")
	q.done(a)
	got := []string{string(r1.msg.Data), string(r2.msg.Data)}
	got = append(got, serveAll(q)...)
	if diff := cmp.Diff([]string{"a1", "b1", "c1", "a2"}, got); diff != "" {
		t.Errorf("served (-want +got):\n%s", diff)
	}
	if q.queuedAgents != 0 || q.queuedBytes != 0 {
		t.Errorf("empty queue counts %d agents, %d bytes", q.queuedAgents, q.queuedBytes)
	}
}

// Each bound refuses what is beyond it with its code, and nothing else.
func TestFairQueueBounds(t *testing.T) {
	busy, limited := CodeBusy, CodeRateLimited
	t.Run("rate", func(t *testing.T) {
		q, clk := queueFor(t, Options{Rate: 10, Burst: 3})
		got := admitAll(q, "a", "a", "a", "a", "b")
		clk.Add(100 * time.Millisecond) // one token
		got = append(got, admitAll(q, "a", "a")...)
		clk.Add(time.Hour) // full again: three
		got = append(got, admitAll(q, "a", "a", "a", "a")...)
		want := []string{"ok", "ok", "ok", limited, "ok", "ok", limited, "ok", "ok", "ok", limited}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("codes (-want +got):\n%s", diff)
		}
	})
	t.Run("no rate limit", func(t *testing.T) {
		q, _ := queueFor(t, Options{Rate: -1, ByteRate: -1, AgentQueue: MaxAgentQueue})
		for i := range 5000 {
			if err := q.admit(req("a", strings.Repeat("x", 1000))); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		}
	})
	t.Run("bytes", func(t *testing.T) {
		q, clk := queueFor(t, Options{MaxMessage: 100, ByteRate: 100, ByteBurst: 250})
		var got []string
		for _, n := range []int{100, 100, 100, 50, 1} {
			got = append(got, codeOf(q.admit(req("a", strings.Repeat("x", n)))))
		}
		clk.Add(time.Second)
		got = append(got, codeOf(q.admit(req("a", strings.Repeat("x", 100)))))
		want := []string{"ok", "ok", limited, "ok", limited, "ok"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("codes (-want +got):\n%s", diff)
		}
	})
	t.Run("agent queue", func(t *testing.T) {
		q, _ := queueFor(t, Options{AgentQueue: 2})
		got := admitAll(q, "a", "a", "a", "b")
		q.next() // a1 in service: a has one waiting
		got = append(got, admitAll(q, "a", "a")...)
		want := []string{"ok", "ok", busy, "ok", "ok", busy}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("codes (-want +got):\n%s", diff)
		}
	})
	t.Run("queued agents", func(t *testing.T) {
		q, _ := queueFor(t, Options{QueuedAgents: 2})
		got := admitAll(q, "a", "b", "c", "a")
		if r, _ := q.next(); string(r.msg.Data) != "a1" {
			t.Fatalf("served %s first", r.msg.Data)
		}
		got = append(got, admitAll(q, "c")...) // a still waits
		q.next()                               // a2
		got = append(got, admitAll(q, "c")...)
		want := []string{"ok", "ok", busy, "ok", busy, "ok"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("codes (-want +got):\n%s", diff)
		}
	})
	t.Run("queue bytes", func(t *testing.T) {
		q, _ := queueFor(t, Options{MaxMessage: 100, QueueBytes: 250})
		var got []string
		for _, a := range []string{"a", "b", "c", "d"} {
			got = append(got, codeOf(q.admit(req(a, strings.Repeat("x", 100)))))
		}
		q.next()
		got = append(got, codeOf(q.admit(req("d", strings.Repeat("x", 100)))))
		want := []string{"ok", "ok", busy, busy, "ok"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("codes (-want +got):\n%s", diff)
		}
	})
	t.Run("closed", func(t *testing.T) {
		q, _ := queueFor(t, Options{})
		admitAll(q, "a", "b", "a")
		q.close()
		got := admitAll(q, "c")
		var served []string
		for r, a := q.next(); r != nil; r, a = q.next() {
			served = append(served, string(r.msg.Data))
			q.done(a)
		}
		if diff := cmp.Diff([]string{busy}, got); diff != "" {
			t.Errorf("codes after close (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"a1", "b1", "a2"}, served); diff != "" {
			t.Errorf("served after close (-want +got):\n%s", diff)
		}
	})
}

// The table of agents' states stays bounded: idle agents whose buckets
// have refilled are forgotten.
func TestFairQueueForgetsIdleAgents(t *testing.T) {
	q, clk := queueFor(t, Options{})
	for i := range 5 * minSweep {
		if err := q.admit(req(fmt.Sprint("agent-", i), "{}")); err != nil {
			t.Fatal(err)
		}
		r, a := q.next()
		if r == nil {
			t.Fatal("nothing to serve")
		}
		q.done(a)
		if i%256 == 255 {
			clk.Add(time.Second) // the buckets refill
		}
	}
	if n := len(q.agents); n > minSweep {
		t.Errorf("%d agents kept, want at most %d", n, minSweep)
	}
}

// A goroutine waiting in next wakes for a request and for close.
func TestFairQueueWakesWorkers(t *testing.T) {
	q, _ := queueFor(t, Options{})
	got := make(chan *request)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for r, a := q.next(); r != nil; r, a = q.next() {
				got <- r
				q.done(a)
			}
		})
	}
	admitAll(q, "a")
	select {
	case r := <-got:
		if string(r.msg.Data) != "a1" {
			t.Errorf("served %s", r.msg.Data)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no worker woke")
	}
	q.close()
	wg.Wait()
}

func TestFairOptionsValidate(t *testing.T) {
	for _, o := range []Options{
		{Rate: MaxRate * 2}, {Burst: -1}, {Burst: MaxBurst + 1}, {ByteRate: MaxByteRate + 1},
		{ByteBurst: DefaultMaxMessage - 1}, {MaxMessage: 100, ByteBurst: 99}, {AgentQueue: -1},
		{AgentQueue: MaxAgentQueue + 1}, {QueuedAgents: -1}, {QueueBytes: 10}, {QueueBytes: MaxQueueBytes + 1},
	} {
		if _, err := o.withDefaults(); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: %v, want ErrInvalidOptions", o, err)
		}
	}
	o, err := Options{Rate: -1, ByteRate: -1}.withDefaults()
	if err != nil || o.Clock == nil || o.Burst != DefaultBurst {
		t.Errorf("unlimited: %+v, %v", o, err)
	}
}

// serveWith serves a new market for agents with the options opts returns
// for the market's clock, and dials a client for each. The market is
// newMarket's, its publisher delayed by delay a batch (a stand-in for a
// stream's acknowledgement).
func serveWith(tb testing.TB, delay time.Duration, opts func(*clock.Mock) Options, agents ...string) *remote {
	tb.Helper()
	ns := startNATS(tb, agents...)
	clk := clock.NewMock()
	log := events.NewLog(events.LogOptions{})
	m, err := scarcity.New(context.Background(), scarcity.Config{
		Resources: []bundle.Resource{
			{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
			{Name: "tokens", Unit: "token", Capacity: 1000, Enforcement: bundle.ServiceLevel},
		},
		ClearEvery: time.Minute,
		Clock:      clk,
		Publisher: events.PublisherFunc(func(ctx context.Context, evs ...events.Event) error {
			if delay > 0 {
				time.Sleep(delay)
			}
			return log.Publish(ctx, evs...)
		}),
	})
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := Serve(context.Background(), connect(tb, ns, nats.UserInfo(marketUser.Name, marketUser.Password)), m, opts(clk))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = srv.Close() })
	r := &remote{ns: ns, m: m, clk: clk, log: log, srv: srv, clients: map[string]*Client{}}
	for _, a := range agents {
		r.clients[a] = dialAgent(tb, ns, a)
	}
	return r
}

// markets are the markets the flood tests run against: as fast as memory,
// and as slow as a stream that takes a millisecond to acknowledge a batch
// (the market then answers at most a thousand writes a second).
var markets = []struct {
	name  string
	delay time.Duration
}{{"in-memory", 0}, {"1ms-per-batch", time.Millisecond}}

// An agent that sends requests without waiting for the replies gets its
// burst accepted and executed in the order sent, the rest refused
// rate_limited without reaching the market; replies reach its inbox only.
func TestRateLimitKeepsOrder(t *testing.T) {
	const sent, burst = 300, 50
	r := serveWith(t, 0, func(clk *clock.Mock) Options {
		return Options{Clock: clk, Rate: 1, Burst: burst} // the clock stands still: no refill
	}, "alice", "bob")
	funded(t, r, "alice", "bob") // one request of alice's burst
	before := r.log.Len()

	nc := connect(t, r.ns, ConnectOptions(agentUser("alice"))...)
	replies := make(chan *nats.Msg, sent)
	sub, err := nc.ChanSubscribe(InboxPrefix("alice")+".order.*", replies)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	for i := range sent {
		body := fmt.Sprintf(`{"type":"reflection","data":{"content":"%d"}}`, i)
		reply := fmt.Sprintf("%s.order.%d", InboxPrefix("alice"), i)
		if err := nc.PublishRequest(CommandSubject(DefaultPrefix, "alice", VerbEmit), reply, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	var okOrder []int
	codes := map[string]int{}
	timeout := time.After(30 * time.Second)
	for range sent {
		select {
		case msg := <-replies:
			i, _ := strconv.Atoi(msg.Subject[strings.LastIndexByte(msg.Subject, '.')+1:])
			err := decodeReply(msg.Data, DefaultMaxMessage, nil)
			codes[codeOf(err)]++
			if err == nil {
				okOrder = append(okOrder, i)
			} else if !errors.Is(err, ErrRateLimited) {
				t.Errorf("request %d: %v, want rate_limited", i, err)
			}
		case <-timeout:
			t.Fatalf("replies missing; got %v", codes)
		}
	}
	want := make([]int, burst-1)
	for i := range want {
		want[i] = i
	}
	if diff := cmp.Diff(want, okOrder); diff != "" {
		t.Errorf("accepted replies, in arrival order (-want +got):\n%s", diff)
	}
	var published []int
	for _, e := range r.log.Events(before + 1) {
		if e.Source == events.SourceAgent {
			n, _ := strconv.Atoi(e.Data.(events.Reflection).Content)
			published = append(published, n)
		}
	}
	if diff := cmp.Diff(want, published); diff != "" {
		t.Errorf("published, in stream order (-want +got):\n%s", diff)
	}
	// Bob's budget is his own.
	if _, err := r.clients["bob"].Balance(context.Background(), "bob"); err != nil {
		t.Errorf("bob: %v", err)
	}
	if _, err := r.clients["alice"].Balance(context.Background(), "alice"); !errors.Is(err, ErrRateLimited) || codeOf(err) != CodeRateLimited {
		t.Errorf("alice after her burst: %v, want ErrRateLimited", err)
	}
	t.Logf("codes: %v", codes)
}

// latencies is a sample of response times.
type latencies []time.Duration

// quantile returns the q-quantile (nearest rank) of l.
func (l latencies) quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

func (l latencies) String() string {
	return fmt.Sprintf("n=%d p50=%v p99=%v max=%v", len(l), l.quantile(0.5), l.quantile(0.99), l.quantile(1))
}

// victimBound bounds the victim's p99 response time under a flood. It is
// generous (the race detector on a 2-core machine); what it guards
// against is the seconds and timeouts of a flood queued ahead of everyone.
const victimBound = 250 * time.Millisecond

// One agent's flood (20 goroutines sending balance requests, tiny bids
// and large emits as fast as they can) does not starve another agent: the
// victim gets every answer, its p99 stays under victimBound, and the
// flooder is refused rate_limited or busy.
func TestFloodDoesNotStarveOthers(t *testing.T) {
	if testing.Short() {
		t.Skip("flood")
	}
	for _, mk := range markets {
		t.Run(mk.name, func(t *testing.T) {
			r := serveWith(t, mk.delay, func(*clock.Mock) Options { return Options{} }, "victim", "flooder")
			res := runFlood(t, r)
			for _, err := range append(res.quietErrs, res.floodedErrs...) {
				t.Errorf("victim: %v", err)
			}
			if p99 := res.flooded.quantile(0.99); p99 > victimBound {
				t.Errorf("victim p99 %v under flood, want under %v", p99, victimBound)
			}
			if res.codes[CodeRateLimited]+res.codes[CodeBusy] == 0 {
				t.Errorf("flooder never refused: %v", res.codes)
			}
		})
	}
}

// floodResult is what runFlood measured.
type floodResult struct {
	quiet, flooded, flood  latencies
	quietErrs, floodedErrs []error
	codes                  map[string]int // of the flooder's replies
}

// runFlood funds agents victim and flooder of r, times the victim's calls
// (victimCalls) alone, then again while the flooder's 20 goroutines send
// requests as fast as they can, and logs the response times.
func runFlood(t *testing.T, r *remote) floodResult {
	t.Helper()
	funded(t, r, "victim", "flooder")
	victim := r.clients["victim"]
	res := floodResult{codes: map[string]int{}}
	res.quiet, res.quietErrs = victimCalls(victim)
	t.Logf("victim without flood: %v, %d errors", res.quiet, len(res.quietErrs))

	ctx, stop := context.WithCancel(context.Background())
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		started atomic.Int64
	)
	flooder := dialAgent(t, r.ns, "flooder") // one connection for all 20
	big := events.Reflection{Content: strings.Repeat("x", events.MaxAgentTextLen)}
	for g := range 20 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				began := time.Now()
				var err error
				switch {
				case g < 4:
					err = flooder.Emit(ctx, "flooder", big)
				case i%2 == 0:
					_, err = flooder.Balance(ctx, "flooder")
				default:
					err = flooder.Bid(ctx, bidOf(fmt.Sprintf("f%d-%d", g, i), "flooder", map[string]int64{"cpu": 1}, "0.001"))
				}
				if ctx.Err() != nil {
					return
				}
				took := time.Since(began)
				started.Add(1)
				mu.Lock()
				res.flood = append(res.flood, took)
				res.codes[codeOf(err)]++
				mu.Unlock()
			}
		})
	}
	burst(t, r, res.codes, &mu) // open loop: past the flooder's bucket however fast the market answers
	for started.Load() < 2000 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	res.flooded, res.floodedErrs = victimCalls(victim)
	stop()
	wg.Wait()
	t.Logf("victim under flood:   %v, %d errors", res.flooded, len(res.floodedErrs))
	t.Logf("flooder:              %v", res.flood)
	t.Logf("flooder replies:      %v", res.codes)
	return res
}

// burst sends the flooder's balance requests back to back, twice its
// bucket, without waiting for replies, and counts the replies' codes.
func burst(t *testing.T, r *remote, codes map[string]int, mu *sync.Mutex) {
	t.Helper()
	const sent = 2 * DefaultBurst
	nc := connect(t, r.ns, ConnectOptions(agentUser("flooder"))...)
	replies := make(chan *nats.Msg, sent)
	sub, err := nc.ChanSubscribe(InboxPrefix("flooder")+".burst.*", replies)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	for i := range sent {
		reply := fmt.Sprintf("%s.burst.%d", InboxPrefix("flooder"), i)
		if err := nc.PublishRequest(CommandSubject(DefaultPrefix, "flooder", VerbBalance), reply, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	timeout := time.After(30 * time.Second)
	for range sent {
		select {
		case msg := <-replies:
			mu.Lock()
			codes[codeOf(decodeReply(msg.Data, DefaultMaxMessage, nil))]++
			mu.Unlock()
		case <-timeout:
			t.Fatalf("burst replies missing; got %v", codes)
		}
	}
}

// victimCalls makes 200 sequential balance and prices calls and returns
// their response times and errors.
func victimCalls(c *Client) (latencies, []error) {
	ctx := context.Background()
	var (
		l    latencies
		errs []error
	)
	for i := range 200 {
		began := time.Now()
		var err error
		if i%2 == 0 {
			_, err = c.Balance(ctx, c.Agent())
		} else {
			_, err = c.QueryPrices(ctx)
		}
		l = append(l, time.Since(began))
		if err != nil {
			errs = append(errs, fmt.Errorf("call %d: %w", i, err))
		}
	}
	return l, errs
}

// pipelinedBound bounds the victim's slowest response under a pipelined
// flood. It is generous: the victim's request may wait behind the whole
// backlog in the subscription's buffer, refused at NATS speed (a quarter
// of a second under the race detector on 2 cores). Served in arrival
// order by a market that takes 1ms a write, the backlog took 27s.
const pipelinedBound = 5 * time.Second

// A flood of requests sent without waiting for their replies (20,000
// balance requests at once) is refused as fast as NATS delivers it: the
// flooder gets every reply (none is dropped by a full subscription
// buffer), the victim every answer, the slowest within pipelinedBound.
func TestPipelinedFloodDoesNotStarveOthers(t *testing.T) {
	if testing.Short() {
		t.Skip("flood")
	}
	for _, mk := range markets {
		t.Run(mk.name, func(t *testing.T) {
			r := serveWith(t, mk.delay, func(*clock.Mock) Options { return Options{} }, "victim", "flooder")
			pipelinedFlood(t, r)
		})
	}
}

// pipelinedFlood times the victim's calls while the flooder sends 20,000
// balance requests without waiting for their replies.
func pipelinedFlood(t *testing.T, r *remote) {
	const sent = 20_000
	funded(t, r, "victim", "flooder")
	victim, err := Dial(connect(t, r.ns, ConnectOptions(agentUser("victim"))...), "victim", Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	nc := connect(t, r.ns, ConnectOptions(agentUser("flooder"))...)
	var (
		mu    sync.Mutex
		codes = map[string]int{}
		all   = make(chan struct{})
	)
	sub, err := nc.Subscribe(InboxPrefix("flooder")+".pipe.*", func(msg *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		codes[codeOf(decodeReply(msg.Data, DefaultMaxMessage, nil))]++
		if n := codes["ok"] + codes[CodeRateLimited] + codes[CodeBusy]; n == sent {
			close(all)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		t.Fatal(err)
	}
	published := make(chan error, 1)
	go func() {
		for i := range sent {
			reply := fmt.Sprintf("%s.pipe.%d", InboxPrefix("flooder"), i)
			if err := nc.PublishRequest(CommandSubject(DefaultPrefix, "flooder", VerbBalance), reply, []byte("{}")); err != nil {
				published <- err
				return
			}
		}
		published <- nc.Flush()
	}()
	time.Sleep(5 * time.Millisecond) // the flood is under way
	l, errs := victimCalls(victim)
	for _, err := range errs {
		t.Errorf("victim: %v", err)
	}
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	select {
	case <-all:
	case <-time.After(time.Minute):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("flooder got %v of %d replies", codes, sent)
	}
	t.Logf("victim under a pipelined flood: %v", l)
	t.Logf("flooder replies: %v", codes)
	if slowest := l.quantile(1); slowest > pipelinedBound {
		t.Errorf("victim's slowest response %v, want under %v", slowest, pipelinedBound)
	}
	if codes[CodeRateLimited]+codes[CodeBusy] == 0 {
		t.Errorf("flooder never refused: %v", codes)
	}
}

// Close answers the requests already queued before it returns.
func TestCloseAnswersQueued(t *testing.T) {
	const sent = 100
	r := serveWith(t, time.Millisecond, func(*clock.Mock) Options { return Options{Workers: 1} }, "alice")
	funded(t, r, "alice")
	nc := connect(t, r.ns, ConnectOptions(agentUser("alice"))...)
	replies := make(chan *nats.Msg, sent)
	sub, err := nc.ChanSubscribe(InboxPrefix("alice")+".close.*", replies)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	for i := range sent {
		reply := fmt.Sprintf("%s.close.%d", InboxPrefix("alice"), i)
		if err := nc.PublishRequest(CommandSubject(DefaultPrefix, "alice", VerbBalance), reply, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := r.srv.Close(); err != nil {
		t.Fatal(err)
	}
	codes := map[string]int{}
	for range sent {
		select {
		case msg := <-replies:
			codes[codeOf(decodeReply(msg.Data, DefaultMaxMessage, nil))]++
		case <-time.After(10 * time.Second):
			t.Fatalf("replies missing after Close: got %v", codes)
		}
	}
	// Every request that waited was executed: at least a full queue.
	if codes["ok"] < DefaultAgentQueue || codes["ok"]+codes[CodeBusy] != sent {
		t.Errorf("codes %v, want at least %d ok, the others busy", codes, DefaultAgentQueue)
	}
}
