package scarcity

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/sched"
	"go.opentelemetry.io/otel/metric"
)

// Defaults and limits of a Market's Config.
const (
	DefaultClearEvery = time.Minute
	DefaultReserve    = "0.001"
	DefaultScale      = 6
	DefaultMaxBids    = 100_000
	// DefaultMaxBidsPerAgent bounds one agent's share of the book.
	DefaultMaxBidsPerAgent = 1_000
	// DefaultEmitBytes and DefaultEmitPeriod bound what one agent emits:
	// at most DefaultEmitBytes of encoded payloads per DefaultEmitPeriod.
	DefaultEmitBytes  = 1 << 20
	DefaultEmitPeriod = time.Minute
	// DefaultSnapshotEvery is the number of events between snapshots when
	// Config.Snapshots is set: a restart then replays at most about that
	// many events (about a second's worth at a full replay's ~240k events/s
	// here) on top of reading the snapshot; see BENCHMARKS.md.
	DefaultSnapshotEvery = 250_000
	// DefaultKeepSnapshots is the number of a market's snapshots kept.
	DefaultKeepSnapshots = 3
	// OperatorAccount is the ledger account that receives payments.
	OperatorAccount = "operator"
)

// Settlement says where the payment for an allocation goes.
type Settlement int

const (
	// SettleToOperator pays the market operator's account.
	SettleToOperator Settlement = iota
	// SettleBurn burns the payment: it is captured to the operator's
	// account and burned from there at once, so the credits leave
	// circulation.
	SettleBurn
)

// Config configures a Market. The zero value of every field but Resources
// means its default.
type Config struct {
	// Resources are what the market sells; at least one.
	Resources []bundle.Resource
	// Reserve is the opening reserve price per resource, in credits per
	// unit per second, as a decimal string; a missing resource opens at
	// DefaultReserve.
	Reserve map[string]string
	// ClearEvery is the time between clearing rounds, a whole number of
	// seconds (bundle windows are whole seconds too); zero means
	// DefaultClearEvery.
	ClearEvery time.Duration
	// Mechanism clears each round; nil means auction.Auto{}, which
	// chooses per round: exact winner determination with VCG payments up
	// to auction.DefaultExactUpTo bids, Greedy by density with critical
	// values beyond. Each round's market_cleared names the mechanism that
	// cleared it (its Result.Mechanism, else Mechanism.Name()).
	Mechanism auction.Mechanism
	// ReserveRule moves reserve prices between rounds; nil means the
	// default auction.UtilisationRule.
	ReserveRule auction.ReserveRule
	// Settlement says who receives payments.
	Settlement Settlement
	// Scale is the number of decimal places of credits and prices; zero
	// means DefaultScale.
	Scale int32
	// MaxBids bounds the book; a bid beyond it fails with ErrBookFull. Zero
	// means DefaultMaxBids.
	MaxBids int
	// MaxBidsPerAgent bounds the bids one agent has in the book; a bid
	// beyond it fails with ErrTooManyBids, so that no agent can fill the
	// book. Zero means DefaultMaxBidsPerAgent.
	MaxBidsPerAgent int
	// EmitBytes bounds the bytes of payload one agent may emit (Emit) per
	// EmitPeriod, so that no agent can fill the stream; an Emit beyond it
	// fails with ErrEmitQuota and publishes nothing. The budget refills
	// continuously (a token bucket on the market's clock) and starts full,
	// also after a restore. Zero means DefaultEmitBytes and
	// DefaultEmitPeriod.
	EmitBytes  int64
	EmitPeriod time.Duration
	// Clock drives clearing and the schedule; nil means the real clock.
	Clock clock.Clock
	// Meter is where the market's metrics go: bids placed and refused,
	// book depth, rounds, allocations, prices, reserves, utilisation,
	// denials, terminations, spend, publishes, the committer's queue,
	// fencing and restores (see package doc, "Watching a market"). Nil
	// means none: a no-op provider.
	Meter metric.MeterProvider
	// Logger receives the market's logs: each round's summary at debug,
	// refused bids, denials and terminations at warn, restores at warn,
	// fencing and failed settlements at error, each with the ids of the
	// events involved. Nil discards them.
	Logger *slog.Logger
	// Publisher receives every event; nil means events.Discard. A publisher
	// that is also an events.AsyncPublisher (natstransport) takes the
	// market's groups pipelined; one that is an events.Reader lets a market
	// whose publish failed rebuild itself from the stream.
	Publisher events.Publisher
	// SigningKey signs the market's hash chain: the last event of every
	// group the market publishes. Its public key is announced on the stream
	// (signing_key_announced). Nil means a key the market makes for itself,
	// which proves only what one process wrote: a market restored from its
	// stream with a key of its own announces it without the old key's
	// signature, which a reader that requires the old key (PublicKey)
	// refuses. Give a market that must be verifiable across restarts its key.
	SigningKey ed25519.PrivateKey
	// PublicKey, if set, is the key a market restored from a stream (or
	// rebuilding itself) requires that stream's chain to be signed by:
	// events.VerifyOptions.PublicKey. Nil trusts the keys the stream
	// announces.
	PublicKey ed25519.PublicKey
	// Correlation is stamped on every event: the run or scenario id.
	Correlation string
	// Executor stops agents that are terminated; nil records terminations
	// as events only. It is called with the scheduler's lock held, so it
	// must not call back into the Market or its scheduler.
	Executor sched.Executor
	// Spend is the system-wide LLM spend limit (sched.SpendLimit); its
	// resource must be a service-level resource of Resources whose capacity
	// is the limit in units. Nil means no limit.
	Spend *sched.SpendLimit
	// UsageBatch coalesces the usage_recorded events of Use (see
	// sched.Options.UsageBatch); 0 publishes one per Use.
	UsageBatch int
	// Retention is how long the market remembers the ids of orders,
	// transfers and mints once they are done, to recognise a retry
	// (ledger.Options.Retention); zero means for the market's life, which a
	// long-running market cannot afford: set it well beyond the longest a
	// client may retry.
	//
	// The rule for reusing an id: an order id is a duplicate
	// (ErrDuplicateOrder) while its bid is in the book and for Retention
	// after its hold was placed; after that the same id places a new,
	// independent order. Each placement of an order gets a number of its own
	// that the market never gives again, and the ids the ledger and the
	// scheduler see carry it: placement n of order "x" is held as
	// "bid/x/n", leased as "lease/x/n", runs as bundle "bundle/x/n" and is
	// paid as "pay/bundle/x/n". So a reused order id can never meet what an
	// earlier placement left in the ledger or the scheduler, however long
	// each remembers it: a bundle of the earlier order runs on and is paid
	// as it would have been. A transfer or mint id is the ledger's alone: a
	// retry within Retention has no second effect, and after it the same id
	// is a new transfer.
	Retention time.Duration
	// MaxBundles bounds the bundles the scheduler holds and the finished
	// ones it remembers (sched.Options.MaxBundles); zero means
	// sched.DefaultMaxBundles.
	MaxBundles int
	// MaxHistory is the number of history entries the ledger keeps per
	// account (ledger.Options.MaxHistory); zero means
	// ledger.DefaultMaxHistory.
	MaxHistory int
	// RewardBudget is the most credits one human may give agents with
	// Reward per RewardPeriod, as a decimal string: zero or a valid ledger
	// amount (at most ledger.DefaultMaxAmount, no finer than Scale). A
	// reward beyond it fails with ErrRewardBudget. Empty or zero — the
	// default — disables rewards: every Reward fails with ErrRewardBudget,
	// since a reward mints new credits and a market should inflate its
	// economy only if its operator says by how much.
	RewardBudget string
	// RewardPeriod is the period of RewardBudget; zero means
	// DefaultRewardPeriod (a UTC day). Periods are consecutive intervals
	// of RewardPeriod counted from the zero time (time.Time.Truncate) on
	// the market's clock, so a budget renews at the same instants
	// whenever the market started or was restored.
	RewardPeriod time.Duration
	// Snapshots, if set, is where the market keeps snapshots of its state
	// (natstransport's Object Store, or events.MemorySnapshots), so that
	// Reopen restores it from the newest snapshot and the events after it
	// rather than from its whole history. The market takes one every
	// SnapshotEvery events and every SnapshotInterval, and on demand
	// (Market.Snapshot); Publisher must then be an events.TailReader. A
	// snapshot holds what the market remembers: a market meant to run for
	// months sets Retention and MaxBundles, or its snapshots, and so its
	// restarts, grow with its history. Nil means no snapshots: a restart
	// replays the whole stream.
	Snapshots events.SnapshotStore
	// SnapshotEvery is the number of events between snapshots; zero means
	// DefaultSnapshotEvery, negative none by count.
	SnapshotEvery int
	// SnapshotInterval is the time between snapshots on the market's
	// clock; zero means none by time.
	SnapshotInterval time.Duration
	// KeepSnapshots is the number of the market's newest snapshots kept:
	// an older one is deleted once a newer one is bound to the stream.
	// Zero means DefaultKeepSnapshots. Events are never deleted: see
	// Market.SnapshotFloor for the history a user may choose to trim.
	KeepSnapshots int
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.ClearEvery == 0 {
		c.ClearEvery = DefaultClearEvery
	}
	if c.Mechanism == nil {
		c.Mechanism = auction.Auto{}
	}
	if c.ReserveRule == nil {
		c.ReserveRule = auction.UtilisationRule{}
	}
	if c.Scale == 0 {
		c.Scale = DefaultScale
	}
	if c.MaxBids == 0 {
		c.MaxBids = DefaultMaxBids
	}
	if c.MaxBidsPerAgent == 0 {
		c.MaxBidsPerAgent = DefaultMaxBidsPerAgent
	}
	if c.EmitBytes == 0 {
		c.EmitBytes = DefaultEmitBytes
	}
	if c.EmitPeriod == 0 {
		c.EmitPeriod = DefaultEmitPeriod
	}
	if c.RewardPeriod == 0 {
		c.RewardPeriod = DefaultRewardPeriod
	}
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = DefaultSnapshotEvery
	}
	if c.KeepSnapshots == 0 {
		c.KeepSnapshots = DefaultKeepSnapshots
	}
	if c.Clock == nil {
		c.Clock = clock.New()
	}
	if c.Publisher == nil {
		c.Publisher = events.Discard
	}
	if c.SigningKey == nil {
		c.SigningKey = newKey()
	}
	return c
}

// validate checks c, which has its defaults set, and returns its catalog
// and opening reserve prices.
func (c Config) validate() (*bundle.Catalog, bundle.Prices, error) {
	if c.ClearEvery < 0 || c.ClearEvery%time.Second != 0 {
		return nil, nil, fmt.Errorf("%w: ClearEvery %v is not a positive whole number of seconds", ErrInvalidOptions, c.ClearEvery)
	}
	if c.MaxBids < 0 || c.MaxBidsPerAgent < 0 || c.Scale < 0 || c.Scale > 18 {
		return nil, nil, fmt.Errorf("%w: MaxBids %d, MaxBidsPerAgent %d, Scale %d", ErrInvalidOptions, c.MaxBids, c.MaxBidsPerAgent, c.Scale)
	}
	if c.EmitBytes < 0 || c.EmitPeriod < 0 {
		return nil, nil, fmt.Errorf("%w: EmitBytes %d per %v", ErrInvalidOptions, c.EmitBytes, c.EmitPeriod)
	}
	if c.Retention < 0 || c.MaxBundles < 0 || c.MaxHistory < 0 {
		return nil, nil, fmt.Errorf("%w: Retention %v, MaxBundles %d, MaxHistory %d", ErrInvalidOptions, c.Retention, c.MaxBundles, c.MaxHistory)
	}
	if len(c.SigningKey) != ed25519.PrivateKeySize || c.PublicKey != nil && len(c.PublicKey) != ed25519.PublicKeySize {
		return nil, nil, fmt.Errorf("%w: SigningKey of %d bytes, PublicKey of %d", ErrInvalidOptions, len(c.SigningKey), len(c.PublicKey))
	}
	if _, err := c.rewardBudget(); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if c.SnapshotInterval < 0 || c.KeepSnapshots < 1 {
		return nil, nil, fmt.Errorf("%w: SnapshotInterval %v, KeepSnapshots %d", ErrInvalidOptions, c.SnapshotInterval, c.KeepSnapshots)
	}
	if _, ok := c.Publisher.(events.TailReader); c.Snapshots != nil && !ok {
		return nil, nil, fmt.Errorf("%w: snapshots need a Publisher that is an events.TailReader, not %T", ErrInvalidOptions, c.Publisher)
	}
	if c.RewardPeriod <= 0 {
		return nil, nil, fmt.Errorf("%w: RewardPeriod %v is not positive", ErrInvalidOptions, c.RewardPeriod)
	}
	if c.Settlement != SettleToOperator && c.Settlement != SettleBurn {
		return nil, nil, fmt.Errorf("%w: Settlement %d", ErrInvalidOptions, c.Settlement)
	}
	if len(c.Resources) == 0 {
		return nil, nil, fmt.Errorf("%w: no resources", ErrInvalidOptions)
	}
	cat, err := bundle.NewCatalog(c.Resources...)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	reserve, err := c.reservePrices(cat)
	if err != nil {
		return nil, nil, err
	}
	return cat, reserve, nil
}

func (c Config) reservePrices(cat *bundle.Catalog) (bundle.Prices, error) {
	for name := range c.Reserve {
		if _, ok := cat.Lookup(name); !ok {
			return nil, fmt.Errorf("%w: reserve for unknown resource %q", ErrInvalidOptions, name)
		}
	}
	prices := make(bundle.Prices, len(c.Reserve))
	for _, name := range cat.Names() {
		s, ok := c.Reserve[name]
		if !ok {
			s = DefaultReserve
		}
		p, err := events.Decimal(s).Apd()
		if err != nil || p.Sign() <= 0 || -p.Exponent > c.Scale {
			return nil, fmt.Errorf("%w: reserve %q for %q must be a positive decimal with at most %d places", ErrInvalidOptions, s, name, c.Scale)
		}
		prices[name] = p
	}
	return prices, nil
}

// clonePrices returns a deep copy of p.
func clonePrices(p bundle.Prices) bundle.Prices {
	out := make(bundle.Prices, len(p))
	for name, d := range p {
		out[name] = new(apd.Decimal).Set(d)
	}
	return out
}
