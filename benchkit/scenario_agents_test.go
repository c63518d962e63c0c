package benchkit_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/internal/samples"
)

// Each runnable sample, through RunScenario: a scripted agent that does
// what the scenario asks passes, one that does not fails, and both runs
// keep every invariant.
func TestSampleAgents(t *testing.T) {
	for _, c := range samples.Cases() {
		for _, good := range []bool{true, false} {
			t.Run(samples.Describe(c, good), func(t *testing.T) {
				s, err := benchkit.LoadOptions{Strict: true}.LoadFile(filepath.Join(sampleDir, c.File))
				if err != nil {
					t.Fatal(err)
				}
				agent, want := c.Good(), benchkit.Pass
				if !good {
					agent, want = c.Bad(), benchkit.Fail
				}
				res, evs, err := samples.Run(context.Background(), s, agent)
				if err != nil {
					t.Fatal(err)
				}
				if res.Verdict != want {
					t.Errorf("verdict %s, want %s: %s", res.Verdict, want, benchkit.FormatResult(res))
				}
				benchkit.AssertInvariants(t, evs)
			})
		}
	}
}
