package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestQuickstartPassesAndPricesMove(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, options{Seed: 1, Agents: 20, Minutes: 10}); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	if !strings.Contains(text, "benchkit: PASS") {
		t.Errorf("no passing verdict in:\n%s", text)
	}
	lines := strings.Split(text, "\n")
	var rounds []string
	for _, l := range lines[1:] {
		if l == "" {
			break
		}
		rounds = append(rounds, l)
	}
	if len(rounds) != 20 {
		t.Fatalf("printed %d rounds, want 20:\n%s", len(rounds), text)
	}
	changed := 0
	for i := 1; i < len(rounds); i++ {
		if prices(rounds[i]) != prices(rounds[i-1]) {
			changed++
		}
	}
	if changed < len(rounds)/2 {
		t.Errorf("prices changed in only %d of %d rounds:\n%s", changed, len(rounds)-1, text)
	}
}

// prices returns the price columns of a round line: no round number,
// utilisation or won/bids tally.
func prices(line string) string {
	f := strings.Fields(line)
	var p []string
	for _, field := range f[1 : len(f)-1] {
		if !strings.HasPrefix(field, "(") {
			p = append(p, field)
		}
	}
	return strings.Join(p, " ")
}

func TestQuickstartIsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	for _, w := range []*bytes.Buffer{&a, &b} {
		if err := run(context.Background(), w, options{Seed: 3, Agents: 8, Minutes: 3}); err != nil {
			t.Fatalf("run: %v", err)
		}
	}
	if a.String() != b.String() {
		t.Errorf("two runs with the same seed differ:\n%s\n---\n%s", a.String(), b.String())
	}
}
