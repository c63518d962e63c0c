package agentapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
)

// Client is one agent's handle on a remote market. Its methods mirror
// scarcity.AgentAPI and act only as its own agent: a call that names
// another agent fails with ErrOtherAgent before anything is sent. Errors
// from the market unwrap to the library's sentinels (see Error). A Client
// is safe for concurrent use.
type Client struct {
	nc    *nats.Conn
	agent string
	opts  Options
}

var _ scarcity.AgentAPI = (*Client)(nil)

// Dial returns the client of agent on nc, which must have been connected
// with the agent's inbox prefix (see ConnectOptions): the server answers
// only there.
func Dial(nc *nats.Conn, agent string, opts Options) (*Client, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := scarcity.ValidateID("agent", agent); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if nc == nil || nc.Opts.InboxPrefix != InboxPrefix(agent) {
		return nil, fmt.Errorf("%w: connect with nats.CustomInboxPrefix(%q)", ErrInvalidOptions, InboxPrefix(agent))
	}
	return &Client{nc: nc, agent: agent, opts: opts}, nil
}

// Agent returns the agent the client acts as.
func (c *Client) Agent() string { return c.agent }

// self fails with ErrOtherAgent unless agent is the client's.
func (c *Client) self(agent string) error {
	if agent != c.agent {
		return fmt.Errorf("%w: client of %q called for %q", ErrOtherAgent, c.agent, agent)
	}
	return nil
}

// OpenAccount opens the agent's account with no credits; opening it again
// is not an error.
func (c *Client) OpenAccount(ctx context.Context, agent string) error {
	if err := c.self(agent); err != nil {
		return err
	}
	return c.call(ctx, VerbOpen, emptyRequest{}, nil)
}

// Bid places b, whose Agent must be the client's.
func (c *Client) Bid(ctx context.Context, b scarcity.Bid) error {
	if err := c.self(b.Agent); err != nil {
		return err
	}
	if b.Limit == nil {
		return fmt.Errorf("%w: bid %q has no limit", ErrInvalidRequest, b.ID)
	}
	req := bidRequest{
		ID: b.ID, Quantities: b.Bundle.Quantities, Limit: b.Limit.Text('f'),
		DurationSeconds: int64(b.Bundle.Window.Duration / time.Second),
	}
	if b.Bundle.Window.Duration%time.Second != 0 {
		return fmt.Errorf("%w: duration %v is not whole seconds", ErrInvalidRequest, b.Bundle.Window.Duration)
	}
	if !b.Bundle.Window.Start.IsZero() {
		req.Start = b.Bundle.Window.Start.UTC().Format(time.RFC3339Nano)
	}
	return c.call(ctx, VerbBid, req, nil)
}

// Cancel withdraws the agent's order orderID.
func (c *Client) Cancel(ctx context.Context, agent, orderID string) error {
	if err := c.self(agent); err != nil {
		return err
	}
	return c.call(ctx, VerbCancel, cancelRequest{OrderID: orderID}, nil)
}

// Balance returns the agent's balance; the market publishes
// balance_queried.
func (c *Client) Balance(ctx context.Context, agent string) (ledger.Balance, error) {
	if err := c.self(agent); err != nil {
		return ledger.Balance{}, err
	}
	var r balanceResult
	if err := c.call(ctx, VerbBalance, emptyRequest{}, &r); err != nil {
		return ledger.Balance{}, err
	}
	return r.balance()
}

// QueryPrices returns the market's current prices.
func (c *Client) QueryPrices(ctx context.Context) (bundle.Prices, error) {
	var r pricesResult
	if err := c.call(ctx, VerbPrices, emptyRequest{}, &r); err != nil {
		return nil, err
	}
	p := make(bundle.Prices, len(r.Prices))
	for name, s := range r.Prices {
		d, err := decimal(s)
		if err != nil {
			return nil, err
		}
		p[name] = d
	}
	return p, nil
}

// Use consumes qty of a service-level resource from the agent's bundles.
func (c *Client) Use(ctx context.Context, agent, resource string, qty int64) error {
	if err := c.self(agent); err != nil {
		return err
	}
	return c.call(ctx, VerbUse, useRequest{Resource: resource, Quantity: qty}, nil)
}

// Report records an OS-level usage sample of the agent.
func (c *Client) Report(ctx context.Context, agent, resource string, level int64) error {
	if err := c.self(agent); err != nil {
		return err
	}
	return c.call(ctx, VerbReport, reportRequest{Resource: resource, Level: level}, nil)
}

// Release ends the agent's bundle bundleID early and returns its unused and
// total seconds.
func (c *Client) Release(ctx context.Context, agent, bundleID string) (unused, total int64, err error) {
	if err := c.self(agent); err != nil {
		return 0, 0, err
	}
	var r releaseResult
	err = c.call(ctx, VerbRelease, releaseRequest{BundleID: bundleID}, &r)
	return r.Unused, r.Total, err
}

// Reserve sets aside worstCase of a service-level resource for the agent
// and returns the reservation's id. ttl must be whole milliseconds.
func (c *Client) Reserve(ctx context.Context, agent, resource string, worstCase int64, ttl time.Duration) (string, error) {
	if err := c.self(agent); err != nil {
		return "", err
	}
	if ttl%time.Millisecond != 0 {
		return "", fmt.Errorf("%w: ttl %v is not whole milliseconds", ErrInvalidRequest, ttl)
	}
	var r reserveResult
	err := c.call(ctx, VerbReserve, reserveRequest{Resource: resource, WorstCase: worstCase, TTLMillis: ttl.Milliseconds()}, &r)
	return r.ReservationID, err
}

// Commit consumes actual of the agent's reservation id (agent must be the
// client's).
func (c *Client) Commit(ctx context.Context, agent, reservationID string, actual int64) error {
	if err := c.self(agent); err != nil {
		return err
	}
	return c.call(ctx, VerbCommit, commitRequest{ReservationID: reservationID, Actual: actual}, nil)
}

// CancelReservation returns all of the agent's reservation id (agent must
// be the client's).
func (c *Client) CancelReservation(ctx context.Context, agent, reservationID string) error {
	if err := c.self(agent); err != nil {
		return err
	}
	return c.call(ctx, VerbCancelReservation, cancelReservationRequest{ReservationID: reservationID}, nil)
}

// Transfer pays amount from the agent (from must be the client's) to
// agent to.
func (c *Client) Transfer(ctx context.Context, transferID, from, to string, amount *apd.Decimal) error {
	if err := c.self(from); err != nil {
		return err
	}
	if amount == nil {
		return fmt.Errorf("%w: transfer %q has no amount", ErrInvalidRequest, transferID)
	}
	return c.call(ctx, VerbTransfer, transferRequest{ID: transferID, To: to, Amount: amount.Text('f')}, nil)
}

// call sends req as verb and decodes the reply's result into result (if
// not nil). A request whose ctx has no deadline gets opts.Timeout.
func (c *Client) call(ctx context.Context, verb Verb, req, result any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.Timeout)
		defer cancel()
	}
	msg, err := c.nc.RequestWithContext(ctx, CommandSubject(c.opts.Prefix, c.agent, verb), body)
	if errors.Is(err, nats.ErrNoResponders) {
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, verb, err)
	} else if err != nil {
		return fmt.Errorf("agentapi: %s: %w", verb, err)
	}
	return decodeReply(msg.Data, c.opts.MaxMessage, result)
}

// decodeReply decodes a reply strictly and returns its error, if any,
// after decoding its result into result.
func decodeReply(data []byte, maxSize int, result any) error {
	if len(data) > maxSize {
		return fmt.Errorf("%w: %d bytes", ErrBadReply, len(data))
	}
	var resp struct {
		Error  *wireError      `json:"error"`
		Result json.RawMessage `json:"result"`
	}
	if err := strictJSON(data, &resp); err != nil {
		return fmt.Errorf("%w: %v", ErrBadReply, err)
	}
	if result != nil && len(resp.Result) > 0 {
		if err := strictJSON(resp.Result, result); err != nil {
			return fmt.Errorf("%w: result: %v", ErrBadReply, err)
		}
	}
	if resp.Error != nil {
		return resp.Error.decode()
	}
	return nil
}

// strictJSON decodes exactly one JSON value without unknown fields.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("more than one JSON value")
	}
	return nil
}

// balance returns the ledger.Balance of r.
func (r balanceResult) balance() (ledger.Balance, error) {
	b := ledger.Balance{Kind: ledger.Kind(r.Kind), AllowNegative: r.AllowNegative, Closed: r.Closed}
	var err error
	for _, f := range []struct {
		dst **apd.Decimal
		s   string
	}{{&b.Posted, r.Posted}, {&b.Pending, r.Pending}, {&b.Available, r.Available}} {
		if *f.dst, err = decimal(f.s); err != nil {
			return ledger.Balance{}, err
		}
	}
	if r.OverdraftLimit != "" {
		if b.OverdraftLimit, err = decimal(r.OverdraftLimit); err != nil {
			return ledger.Balance{}, err
		}
	}
	return b, nil
}

// decimal parses a decimal string of a reply.
func decimal(s string) (*apd.Decimal, error) {
	d, err := events.Decimal(s).Apd()
	if err != nil || s == "" {
		return nil, fmt.Errorf("%w: decimal %q", ErrBadReply, s)
	}
	return d, nil
}
