package scarcity_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/scarcitylabs/scarcity"
)

// TestQueryViewsCannotChangeState checks that what the Market hands out for
// queries has no command: every method that changes a ledger or a
// scheduler takes a context (it may publish), and no method of a view does.
func TestQueryViewsCannotChangeState(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	ctxType := reflect.TypeFor[context.Context]()
	for name, v := range map[string]any{"Ledger": f.m.Ledger(), "Scheduler": f.m.Scheduler()} {
		typ := reflect.TypeOf(v)
		if typ.Kind() == reflect.Pointer {
			t.Errorf("Market.%s returns %v, a pointer to the service itself", name, typ)
		}
		for i := range typ.NumMethod() {
			m := typ.Method(i)
			for j := range m.Type.NumIn() {
				if m.Type.In(j) == ctxType {
					t.Errorf("Market.%s().%s takes a context: it is a command", name, m.Name)
				}
			}
		}
	}
}
