package events_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// chainHash returns the Hash of an event carrying p, first on a new chain.
func chainHash(tb testing.TB, p events.Payload) string {
	tb.Helper()
	c, err := events.NewChain("", nil)
	if err != nil {
		tb.Fatal(err)
	}
	evs := []events.Event{{ID: "1", Type: p.EventType(), Source: events.SourceLedger, Time: t0, Sequence: 1,
		Schema: events.SchemaVersion, Data: p}}
	c.Link(evs)
	return evs[0].Hash
}

// ledgerTypes are the types whose data the chain encodes in binary.
var ledgerTypes = map[events.Type]bool{
	events.TypeAccountOpened: true, events.TypeAccountClosed: true, events.TypeCreditsMinted: true,
	events.TypeCreditsTransferred: true, events.TypeCreditsBurned: true, events.TypeHoldPlaced: true,
	events.TypeHoldCaptured: true, events.TypeHoldReleased: true, events.TypeBalanceQueried: true,
}

func TestChainHashesEveryLedgerField(t *testing.T) {
	seen := map[string]string{}
	for _, p := range samplePayloads() {
		if !ledgerTypes[p.EventType()] {
			continue
		}
		base := chainHash(t, p)
		// The movement types share their fields, not their hashes.
		if other, dup := seen[base]; dup {
			t.Errorf("%T hashes as %s", p, other)
		}
		seen[base] = fmt.Sprintf("%T", p)
		ptr := reflect.New(reflect.TypeOf(p))
		ptr.Elem().Set(reflect.ValueOf(p))
		if got := chainHash(t, ptr.Interface().(events.Payload)); got != base {
			t.Errorf("*%T hashes differently from its value", p)
		}
		for name, changed := range changedFields(p) {
			if chainHash(t, changed) == base {
				t.Errorf("%T: a change of %s leaves the hash unchanged", p, name)
			}
		}
	}
	if len(seen) != len(ledgerTypes) {
		t.Errorf("samplePayloads has %d ledger types, want %d", len(seen), len(ledgerTypes))
	}
}

// changedFields returns p with each of its fields changed, by field name.
func changedFields(p events.Payload) map[string]events.Payload {
	out := map[string]events.Payload{}
	root := reflect.ValueOf(p)
	var walk func(v reflect.Value, path []int)
	walk = func(v reflect.Value, path []int) {
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			at := append(append([]int(nil), path...), i)
			if sf.Anonymous {
				walk(v.Field(i), at)
				continue
			}
			c := reflect.New(root.Type()).Elem()
			c.Set(root)
			f := c.FieldByIndex(at)
			switch x := f.Interface().(type) {
			case events.Decimal:
				f.Set(reflect.ValueOf(x + "0"))
			case string:
				f.SetString(x + "x")
			case bool:
				f.SetBool(!x)
			case time.Time:
				f.Set(reflect.ValueOf(x.Add(time.Nanosecond)))
			default:
				panic(fmt.Sprintf("no change for %s of type %s", sf.Name, sf.Type))
			}
			out[sf.Name] = c.Interface().(events.Payload)
		}
	}
	walk(root, nil)
	return out
}
