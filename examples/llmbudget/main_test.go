package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

func TestLLMBudgetPricesRiseAndTheLimitBinds(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, options{Agents: 6, Minutes: 8, Limit: "2", Seed: 1}); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	if !strings.Contains(text, "benchkit: PASS") {
		t.Errorf("no passing verdict in:\n%s", text)
	}
	rows := tableRows(text)
	if len(rows) != 8 {
		t.Fatalf("printed %d minutes, want 8:\n%s", len(rows), text)
	}
	first, last := price(t, rows[0]), price(t, rows[len(rows)-1])
	if last.Cmp(first) <= 0 {
		t.Errorf("price of llm_spend did not rise: %s then %s:\n%s", first.Text('f'), last.Text('f'), text)
	}
	denied := 0
	for _, r := range rows {
		denied += atoi(t, strings.Fields(r)[6])
	}
	if denied == 0 {
		t.Errorf("no call denied by the spend limit:\n%s", text)
	}
	if strings.Contains(text, " 0 spend_limit_reached events") {
		t.Errorf("no spend_limit_reached event on the stream:\n%s", text)
	}
}

func TestLLMBudgetIsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	for _, w := range []*bytes.Buffer{&a, &b} {
		if err := run(context.Background(), w, options{Agents: 4, Minutes: 5, Limit: "1.5", Seed: 9}); err != nil {
			t.Fatalf("run: %v", err)
		}
	}
	if a.String() != b.String() {
		t.Errorf("two runs with the same seed differ:\n%s\n---\n%s", a.String(), b.String())
	}
}

func TestLLMBudgetRefusesALimitOffTheUnit(t *testing.T) {
	if err := run(context.Background(), &bytes.Buffer{}, options{Agents: 1, Minutes: 1, Limit: "0.0005", Seed: 1}); err == nil {
		t.Error("a limit finer than the spend unit was accepted")
	}
}

// tableRows returns the rows of the per-minute table.
func tableRows(text string) []string {
	var rows []string
	in := false
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "minute "):
			in = true
		case in && l == "":
			return rows
		case in:
			rows = append(rows, l)
		}
	}
	return rows
}

func price(t *testing.T, row string) *apd.Decimal {
	t.Helper()
	d, _, err := apd.NewFromString(strings.Fields(row)[2])
	if err != nil {
		t.Fatalf("price in %q: %v", row, err)
	}
	return d
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	d, _, err := apd.NewFromString(s)
	if err != nil {
		t.Fatalf("number %q: %v", s, err)
	}
	n, err := d.Int64()
	if err != nil {
		t.Fatalf("number %q: %v", s, err)
	}
	return int(n)
}
