package sched

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/benbjohnson/clock"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// Scheduler holds booked bundles, activates and expires them on a clock,
// meters their usage and enforces them. It is safe for concurrent use.
type Scheduler struct {
	mu      sync.Mutex
	catalog *bundle.Catalog
	clock   clock.Clock
	pub     events.Publisher
	exec    Executor
	settler Settler
	max     int
	seq     *events.Sequencer
	chain   *events.Chain // the hash chain of seq, nil if Staged
	cal     *bundle.Calendar

	entries   map[string]*entry   // held and remembered finished bundles
	byAgent   map[string][]*entry // held bundles per agent, earliest-ending first
	awake     map[string]int      // Active bundles per agent, only if > 0
	held      int                 // Scheduled and Active bundles
	timers    timerHeap           // pending activations and expiries
	tails     map[string]struct{} // bookings ended early, pruned by Advance
	finished  []*entry            // remembered finished bundles, oldest first
	unsettled []settlement        // payments the settler refused, retried by Advance
	usage     usageBatch          // usage consumed, not yet published
	spend     spendState          // spend limit and reservations
}

// New returns a scheduler booking bundles against catalog's capacity.
func New(catalog *bundle.Catalog, opts Options) (*Scheduler, error) {
	if catalog == nil {
		return nil, fmt.Errorf("%w: nil catalog", ErrInvalidOptions)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	spend, err := newSpendState(catalog, opts)
	if err != nil {
		return nil, err
	}
	s := &Scheduler{
		catalog: catalog,
		clock:   opts.Clock,
		pub:     opts.Publisher,
		exec:    opts.Executor,
		settler: opts.Settler,
		usage:   usageBatch{size: max(opts.UsageBatch, 1)},
		spend:   spend,
		max:     opts.MaxBundles,
		seq:     events.NewSequencer(events.SourceScheduler, opts.Correlation, 0),
		cal:     bundle.NewCalendar(catalog),
		entries: make(map[string]*entry),
		byAgent: make(map[string][]*entry),
		awake:   make(map[string]int),
		tails:   make(map[string]struct{}),
	}
	if !opts.Staged {
		s.chain, _ = events.NewChain("", nil)
		s.seq.Chain(s.chain)
	}
	return s, nil
}

// Snapshot returns a clone of the calendar, for an auction round to book
// into. Changing it does not change the scheduler.
func (s *Scheduler) Snapshot() *bundle.Calendar {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cal.Clone()
}

// Active returns the ids of agent's bundles whose window contains now,
// sorted, whether or not Advance has activated them yet.
func (s *Scheduler) Active(agent string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, e := range s.current(nil, agent, s.clock.Now()) {
		ids = append(ids, e.id)
	}
	slices.Sort(ids)
	return ids
}

// Remaining returns the quantity of the service-level resource left now
// across agent's bundles whose window contains now. It is zero for an
// OS-level or unknown resource.
func (s *Scheduler) Remaining(agent, resource string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.catalog.Lookup(resource); !ok || r.Enforcement != bundle.ServiceLevel {
		return 0
	}
	var left int64
	for _, e := range s.current(nil, agent, s.clock.Now()) {
		left += e.left(resource)
	}
	return left
}

// Bundle returns the bundle id, held or finished. Finished bundles are
// remembered until MaxBundles more have finished.
func (s *Scheduler) Bundle(id string) (Info, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok {
		return Info{}, false
	}
	return e.info(), true
}

// Bundles returns agent's bundles, held and remembered finished ones,
// sorted by id.
func (s *Scheduler) Bundles(agent string) []Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Info
	for _, e := range s.entries {
		if e.agent == agent {
			out = append(out, e.info())
		}
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// lookup returns resource if it is in the catalog and enforced as want.
func (s *Scheduler) lookup(resource string, want bundle.Enforcement) (bundle.Resource, error) {
	r, ok := s.catalog.Lookup(resource)
	if !ok {
		return r, fmt.Errorf("sched: %w: %q", bundle.ErrUnknownResource, resource)
	}
	if r.Enforcement != want {
		return r, fmt.Errorf("%w: %q is enforced at %s level, not %s", ErrWrongEnforcement, resource, r.Enforcement, want)
	}
	return r, nil
}
