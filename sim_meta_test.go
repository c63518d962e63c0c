package scarcity_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestSimulationCatchesBrokenRules runs the simulation with one rule of the
// write path removed at a time, from the test's side, and checks that it
// notices: some seed fails. TestSimulation runs the same seeds with every
// rule in place and passes.
func TestSimulationCatchesBrokenRules(t *testing.T) {
	seeds, steps := uint64(24), 30
	if testing.Short() {
		seeds = 12
	}
	jet := storeJet
	for _, tt := range []struct {
		brk   simBreak
		store *simStore
		why   string
	}{
		{breakTrustUnsealed, nil, "a group stored in part is void: trusted, a command's first events count without the rest"},
		{breakSwallowFailures, nil, "the market rebuilds after a failed publish: a failure reported as success leaves it ahead of its stream"},
		{breakCertainFailures, nil, "the stream decides what is in doubt: a lost acknowledgement taken for a refusal"},
		{breakNoRebuild, nil, "the market reads its stream back: without it, it stays fenced"},
		{breakStaleRead, nil, "the market rebuilds from the whole stream: from a stale read, it forks its chain"},
		{breakNoExpect, &jet, "a late write is refused once the stream moved on (expected last sequence)"},
	} {
		t.Run(strings.ReplaceAll(tt.brk.String(), " ", "_"), func(t *testing.T) {
			runs := runSeeds(t, 1, seeds, func(seed uint64) simConfig {
				return simConfig{seed: seed, steps: steps, brk: tt.brk, store: tt.store}
			})
			var caught []string
			for i, s := range runs {
				if s.failure != "" {
					first, _, _ := strings.Cut(s.failure, "\n")
					caught = append(caught, fmt.Sprintf("seed %d: %.160s", i+1, first))
				}
			}
			if len(caught) == 0 {
				t.Fatalf("no seed of %d noticed the rule broken: %s", seeds, tt.why)
			}
			t.Logf("%d of %d seeds noticed (%s); the first: %s", len(caught), seeds, tt.why, caught[0])
		})
	}
}
