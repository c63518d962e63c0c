package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/events"
)

// checkOut makes sure that dir, the -out directory, can be written before
// an hour of market is run to fill it. An empty dir writes nothing.
func checkOut(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	f, err := os.CreateTemp(dir, ".spotmarket-*")
	if err != nil {
		return fmt.Errorf("-out %s is not writable: %w", dir, err)
	}
	return errors.Join(f.Close(), os.Remove(f.Name()))
}

// warnUntradeable warns, before the run, when the mechanism cannot trade
// the bundles the agents ask for: a call market trades one resource per
// bid, and the agents' bundles hold several.
func warnUntradeable(w io.Writer, m auction.Mechanism) {
	if _, ok := m.(auction.CallMarket); ok {
		fmt.Fprintf(w, "spotmarket: warning: mechanism %s clears one resource per bid and rejects a bid for several (invalid_bundle); "+
			"most agents here ask for bundles of several resources, so most resources will not trade\n", m.Name())
	}
}

// warnUntraded warns, after the run, of the resources that had bids and
// never traded, with the reasons their bids were refused: a mechanism or a
// reserve that shuts a market out shows here rather than in silence.
func warnUntraded(w io.Writer, evs []events.Event) {
	asked, traded := map[string]bool{}, map[string]bool{}
	refused := map[string]int{}
	for _, e := range evs {
		switch p := e.Data.(type) {
		case events.BidPlaced:
			for name := range p.Quantities {
				asked[name] = true
			}
		case events.ResourcesAllocated:
			for name := range p.Quantities {
				traded[name] = true
			}
		case events.BidRejected:
			refused[string(p.Reason)]++
		}
	}
	var never []string
	for name := range asked {
		if !traded[name] {
			never = append(never, name)
		}
	}
	if len(never) == 0 {
		return
	}
	slices.Sort(never)
	fmt.Fprintf(w, "spotmarket: warning: %v had bids but never traded; bids refused by reason: %v\n", never, refused)
}
