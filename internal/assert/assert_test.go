package assert_test

import (
	"testing"

	"github.com/scarcitylabs/scarcity/internal/assert"
)

func TestThatPassesTrue(t *testing.T) {
	assert.That(true, "never seen")
}

func TestThatPanicsFalseWithTheMessage(t *testing.T) {
	defer func() {
		if got, want := recover(), "assertion failed: ledger sum"; got != want {
			t.Fatalf("recovered %v, want %q", got, want)
		}
	}()
	assert.That(false, "ledger sum")
	t.Fatal("That(false) returned")
}

func BenchmarkThat(b *testing.B) {
	b.ReportAllocs()
	for i := range b.N {
		assert.That(i >= 0, "never seen")
	}
}
