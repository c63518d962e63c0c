package benchkit_test

import (
	"context"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit"
)

// myAgent is the agent of the README's "benchkit in your own tests": it
// bids, and after a rejection reasons and bids again for half.
var myAgent = &retrier{lower: 50}

// TestMyAgent is the README's snippet, verbatim (see readme_test.go in the
// module's root).
func TestMyAgent(t *testing.T) {
	s, err := benchkit.LoadScenarioFile("testdata/retry.json") // the benchmark's JSON format
	if err != nil {
		t.Fatal(err)
	}
	res, evs, err := benchkit.RunScenario(context.Background(), s, myAgent, benchkit.RunOptions{Turns: 5})
	if err != nil {
		t.Fatal(err)
	}
	benchkit.AssertInvariants(t, evs)  // every violated invariant, with the events that broke it
	benchkit.AssertScenario(t, s, evs) // every rule the run broke, with the events that decided it
	t.Log(benchkit.FormatResult(res))  // or inspect res: per-rule verdicts, reasons, deciding events
}
