package ledger_test

import (
	"flag"
	"os"
	"testing"
)

// ciChecks is how many cases the rapid state machines run unless -short or
// an explicit -rapid.checks says otherwise: the ledger's invariants get
// 1,000 random histories in every CI run.
const ciChecks = "1000"

func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "rapid.checks" })
	if !explicit && !testing.Short() {
		if err := flag.Set("rapid.checks", ciChecks); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
