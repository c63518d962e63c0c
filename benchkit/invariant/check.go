package invariant

import (
	"crypto/ed25519"
	"fmt"
	"sync"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// The names of the invariants, as [Violation.Check] and [Names] give them.
const (
	// ChainIntact: the stream's hash chain is unbroken (events.Verify): no
	// event was changed, inserted, removed or moved, and every seal is
	// signed by its writer's key.
	ChainIntact = "chain_intact"
	// CreditsConserved: the ledger's credits are conserved, and no account
	// or hold holds what it has not.
	CreditsConserved = "credits_conserved"
	// AllocationsPaid: every allocation is paid, of a bid of its agent.
	AllocationsPaid = "allocations_paid"
	// BidsHeld: every bid_placed is backed by an open hold of its own, on
	// its agent, of its total_cost.
	BidsHeld = "bids_held"
	// SequencesGapFree: each source numbers its events of a run 1, 2, 3, …
	SequencesGapFree = "sequences_gap_free"
	// IDsUnique: no two events share an id.
	IDsUnique = "ids_unique"
	// CausationResolves: every causation names an earlier event.
	CausationResolves = "causation_resolves"
	// CapacityRespected: no instant books more than a resource's capacity.
	CapacityRespected = "capacity_respected"
	// UsageWithinBundles: metered usage stays within its bundle.
	UsageWithinBundles = "usage_within_bundles"
	// SpendWithinLimit: spend in any sliding window is within the limit.
	SpendWithinLimit = "spend_within_limit"
)

// Names are the names of every invariant, in the order a report lists
// them.
var Names = []string{
	ChainIntact, CreditsConserved, AllocationsPaid, BidsHeld, SequencesGapFree, IDsUnique, CausationResolves,
	CapacityRespected, UsageWithinBundles, SpendWithinLimit,
}

// Check runs every invariant check over the stream with the zero
// [Options], in stream order, and returns nil or an error joining one
// *Violation per failure (errors.Is(err, ErrViolation)). Use [CheckWith] to
// give the capacities and the enforcement of the resources.
//
// The checks are those [Names] names, each described in the package
// documentation: chain_intact, credits_conserved, allocations_paid (every
// allocation paid, of a bid of its agent, its lease held while its bundle
// runs, and every bundle scheduled in a market run allocated), bids_held
// (every bid backed by an open hold of its own, on its agent, of its
// total_cost), sequences_gap_free, ids_unique, causation_resolves,
// usage_within_bundles and spend_within_limit; capacity_respected needs
// Options.Capacities.
func Check(evs []events.Event) error { return join(violationsWith(evs, Options{})) }

// CheckWith runs every invariant check over the stream with o, and returns
// nil or an error joining one *Violation per failure in stream order
// (errors.Is(err, ErrViolation)); an unusable o returns an error wrapping
// ErrInvalidOptions and checks nothing.
func CheckWith(evs []events.Event, o Options) error {
	if err := o.validate(); err != nil {
		return err
	}
	return join(violationsWith(evs, o))
}

// Options gives the checks what the stream does not carry. The zero value
// checks what the stream alone allows: capacity is then not checked, the
// enforcement of each resource is inferred, and the spend limit is taken
// from the stream's spend_limit_reached events, if any.
type Options struct {
	// Capacities is the capacity of each resource, as in the market's
	// catalog. Nil means capacity_respected is not checked; when set, a
	// bundle booking a resource it does not name is a violation.
	Capacities map[string]int64
	// OSLevel names the resources sampled as levels (CPU, memory); every
	// other resource is consumed (service-level). Nil means inferred from
	// each usage_recorded: one whose used is below the quantities already
	// recorded in its bundle is a sample.
	OSLevel map[string]bool
	// Spend is the spend limit; nil means the limit stated by the stream's
	// first spend_limit_reached, and no spend check if there is none.
	Spend *SpendLimit
	// PublicKey, if set, is the key the stream's writers sign their chains
	// with (events.VerifyOptions.PublicKey): chain_intact then also fails a
	// chain signed with another key, or not signed. Nil trusts the keys the
	// stream announces.
	PublicKey ed25519.PublicKey
	// Retention is how long the run's ledger remembered a transfer id, or
	// a hold's id once it closed (scarcity.Config.Retention,
	// ledger.Options.Retention): after it the ledger may use the id again,
	// as a new operation. Zero means for the run's life, so that any id
	// used twice is a violation of credits_conserved.
	Retention time.Duration
}

// SpendLimit is a limit on the units of one service-level resource
// consumed in any sliding window: within (t−Window, t], for every t, at
// most Limit units.
type SpendLimit struct {
	// Resource is the spend resource, such as "llm_spend".
	Resource string `json:"resource"`
	// Limit is the most units consumed in any window.
	Limit int64 `json:"limit"`
	// Window is the length of the sliding window; it must be positive. It
	// encodes in JSON as nanoseconds.
	Window time.Duration `json:"window"`
}

// ResourceOptions returns the Options of a market whose catalog holds rs:
// their capacities, and which of them are OS-level.
func ResourceOptions(rs ...bundle.Resource) Options {
	o := Options{Capacities: make(map[string]int64, len(rs)), OSLevel: make(map[string]bool, len(rs))}
	for _, r := range rs {
		o.Capacities[r.Name] = r.Capacity
		if r.Enforcement == bundle.OSLevel {
			o.OSLevel[r.Name] = true
		}
	}
	return o
}

// validate reports an Options that cannot be used, wrapping ErrInvalidOptions.
func (o Options) validate() error {
	if o.Spend != nil {
		if err := stream.SpendLimit(*o.Spend).Validate(); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidOptions, err)
		}
	}
	if o.Retention < 0 {
		return fmt.Errorf("%w: negative retention %v", ErrInvalidOptions, o.Retention)
	}
	for r, c := range o.Capacities {
		if c < 0 {
			return fmt.Errorf("%w: capacity %d of %q is negative", ErrInvalidOptions, c, r)
		}
	}
	return nil
}

// Unchecked returns the names of the invariants that [CheckWith] cannot
// check on evs with o, for lack of data: capacity_respected without
// Options.Capacities, spend_within_limit without Options.Spend on a stream
// with no spend_limit_reached.
func Unchecked(evs []events.Event, o Options) []string {
	var out []string
	if o.Capacities == nil {
		out = append(out, CapacityRespected)
	}
	if o.Spend == nil && len(stream.SpendLimits(evs)) == 0 {
		out = append(out, SpendWithinLimit)
	}
	if v, err := events.Verify(evs, events.VerifyOptions{PublicKey: o.PublicKey}); err == nil && len(v.Unchained) > 0 {
		out = append(out, ChainIntact)
	}
	return out
}

// concurrentFrom is the stream length from which the checks run
// concurrently, one goroutine each.
const concurrentFrom = 1 << 14

// violationsWith returns the violations of every check, in stream order.
// The stream's hash chain is verified first: the events of groups cut short
// (void) are set aside, as never having happened, unless the chain is
// broken, when every check replays the stream as it is.
func violationsWith(evs []events.Event, o Options) []*Violation {
	rp, broken := verified(evs, o)
	evs = rp.evs
	checks := [...]func() []finding{
		func() []finding { return broken },
		func() []finding { return sequences(rp) },
		func() []finding { return identities(evs) },
		func() []finding { return conservation(evs, o.Retention) },
		func() []finding { return allocations(evs) },
		func() []finding { return bidsHeld(evs) },
		func() []finding { return capacity(evs, o) },
		func() []finding { return usage(evs, o) },
		func() []finding { return spend(evs, o) },
	}
	var found [len(checks)][]finding
	if len(evs) < concurrentFrom {
		for i, check := range checks {
			found[i] = check()
		}
		return inOrder(found[:]...)
	}
	var wg sync.WaitGroup
	for i, check := range checks {
		wg.Go(func() { found[i] = check() })
	}
	wg.Wait()
	return inOrder(found[:]...)
}
