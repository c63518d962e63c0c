package events_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/scarcitylabs/scarcity/events"
)

// chainedStream returns groups of sample events of correlation "run",
// linked on a new chain signed by key (nil: unsigned), the first group
// announcing the key.
func chainedStream(tb testing.TB, key ed25519.PrivateKey, groups ...int) []events.Event {
	tb.Helper()
	c, err := events.NewChain("", key)
	if err != nil {
		tb.Fatal(err)
	}
	seq := events.NewSequencer(events.SourceMarket, "run", 0)
	samples := samplePayloads()
	var out []events.Event
	n := 0
	for g, size := range groups {
		b := seq.Batch(t0.Add(time.Duration(g) * time.Second))
		for i := range size {
			p := samples[n%len(samples)]
			if _, ok := p.(events.SigningKeyAnnounced); ok {
				p = events.AgentAwake{AgentID: "a1"}
			}
			if g == 0 && i == 0 && key != nil {
				p = events.AnnounceKey(key.Public().(ed25519.PublicKey))
			}
			b.Add(fmt.Sprintf("a%d", n%3), p)
			n++
		}
		group := slices.Clone(b.Events())
		c.Link(group)
		out = append(out, group...)
		if err := b.Publish(context.Background(), events.Discard); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

func newKey(tb testing.TB) ed25519.PrivateKey {
	tb.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return key
}

// reencode returns e as a reader would decode it after a round trip.
func reencode(tb testing.TB, e events.Event) events.Event {
	tb.Helper()
	d, err := events.Decode(mustEncode(tb, e))
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func TestVerifyTrustsSealedGroups(t *testing.T) {
	key := newKey(t)
	evs := chainedStream(t, key, 3, 1, 4)
	for i := range evs {
		evs[i] = reencode(t, evs[i]) // as read back from a stream
	}
	v, err := events.Verify(evs, events.VerifyOptions{PublicKey: key.Public().(ed25519.PublicKey), AllSignatures: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Trusted) != len(evs) || len(v.Void) != 0 || len(v.Unchained) != 0 {
		t.Fatalf("trusted %d, void %d, unchained %v of %d", len(v.Trusted), len(v.Void), v.Unchained, len(evs))
	}
	if v.Heads["run"] != evs[len(evs)-1].Hash {
		t.Fatalf("head %q, want the last event's hash", v.Heads["run"])
	}
}

func TestVerifyVoidsGroupsCutShort(t *testing.T) {
	evs := chainedStream(t, nil, 2, 3, 2)
	// The last group stored in part: its two first events of three.
	cut := slices.Concat(evs[:4], evs[2+3:2+3+0])
	v, err := events.Verify(cut, events.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Trusted) != 2 || len(v.Void) != 2 {
		t.Fatalf("trusted %d void %d, want 2 and 2", len(v.Trusted), len(v.Void))
	}

	// A writer restored from the stream links its next group to the last
	// seal: the events cut short before it stay void.
	c, err := events.NewChain(v.Heads["run"], nil)
	if err != nil {
		t.Fatal(err)
	}
	seq := events.NewSequencer(events.SourceMarket, "run", 4)
	b := seq.Batch(t0.Add(time.Hour))
	b.Add("a1", events.AgentAwake{AgentID: "a1"})
	b.Add("a1", events.AgentDormant{AgentID: "a1"})
	next := slices.Clone(b.Events())
	c.Link(next)
	v, err = events.Verify(slices.Concat(cut, next), events.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Trusted) != 4 || len(v.Void) != 2 || v.Void[0].ID != evs[2].ID {
		t.Fatalf("trusted %d void %v", len(v.Trusted), v.Void)
	}
}

func TestVerifyReportsUnchained(t *testing.T) {
	seq := events.NewSequencer(events.SourceLedger, "other", 0)
	b := seq.Batch(t0)
	b.Add("a", events.AgentAwake{AgentID: "a"})
	plain := slices.Clone(b.Events())
	chained := chainedStream(t, nil, 2)
	v, err := events.Verify(slices.Concat(plain, chained), events.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"other"}, v.Unchained); diff != "" || len(v.Trusted) != 3 {
		t.Fatalf("unchained (-want +got):\n%s; trusted %d", diff, len(v.Trusted))
	}
	// An unchained event among chained ones is tampering.
	bad := slices.Concat(chained[:1], []events.Event{{ID: "x", Correlation: "run"}}, chained[1:])
	if _, err := events.Verify(bad, events.VerifyOptions{}); !errors.Is(err, events.ErrTampered) {
		t.Fatalf("unchained event in a chain: %v", err)
	}
}

func TestVerifySignatures(t *testing.T) {
	key, other := newKey(t), newKey(t)
	evs := chainedStream(t, key, 2, 2)
	pub := key.Public().(ed25519.PublicKey)
	if _, err := events.Verify(evs, events.VerifyOptions{PublicKey: other.Public().(ed25519.PublicKey)}); !errors.Is(err, events.ErrTampered) {
		t.Errorf("another writer's key accepted: %v", err)
	}
	forged := slices.Clone(evs)
	forged[3].Signature = forged[1].Signature
	var ce *events.ChainError
	if _, err := events.Verify(forged, events.VerifyOptions{PublicKey: pub}); !errors.As(err, &ce) || ce.EventID != evs[3].ID {
		t.Errorf("a signature of another seal: %v", err)
	}
	unsigned := chainedStream(t, nil, 2)
	if _, err := events.Verify(unsigned, events.VerifyOptions{PublicKey: pub}); !errors.Is(err, events.ErrTampered) {
		t.Errorf("an unsigned chain passes a verifier that knows the key: %v", err)
	}
	// An attacker appends a group of its own, chained correctly, signed
	// with its own key: the key was not announced by the writer.
	v, err := events.Verify(evs, events.VerifyOptions{PublicKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := events.NewChain(v.Heads["run"], other)
	seq := events.NewSequencer(events.SourceLedger, "run", 100)
	b := seq.Batch(t0.Add(time.Hour))
	b.Add("mallory", events.CreditsMinted{Movement: events.Movement{TransferID: "t", From: "mint", To: "mallory", Amount: "1000000", FromBalance: "-1000000", ToBalance: "1000000"}})
	forgedMint := slices.Clone(b.Events())
	c.Link(forgedMint)
	if _, err := events.Verify(slices.Concat(evs, forgedMint), events.VerifyOptions{}); !errors.Is(err, events.ErrTampered) {
		t.Errorf("a forged mint signed with another key: %v", err)
	}
}

// TestVerifyNamesTheFirstBadEvent edits, drops, duplicates and swaps events
// of a chained stream at random: Verify always fails, naming the event at
// which the stream stops being the writer's.
func TestVerifyNamesTheFirstBadEvent(t *testing.T) {
	key := newKey(t)
	clean := chainedStream(t, key, 1, 3, 2, 5, 1)
	for i := range clean {
		clean[i] = reencode(t, clean[i])
	}
	rapid.Check(t, func(t *rapid.T) {
		evs := slices.Clone(clean)
		i := rapid.IntRange(0, len(evs)-2).Draw(t, "event")
		want := evs[i].ID
		switch rapid.SampledFrom([]string{"edit", "drop", "duplicate", "swap", "time", "subject", "seal"}).Draw(t, "how") {
		case "edit":
			evs[i].Causation = "forged"
		case "time":
			evs[i].Time = evs[i].Time.Add(time.Nanosecond)
		case "subject":
			evs[i].Subject += "x"
		case "seal":
			evs[i].Seal = !evs[i].Seal
			if !evs[i].Seal {
				evs[i].Signature = ""
			}
		case "drop":
			evs = slices.Delete(evs, i, i+1)
			want = evs[i].ID
		case "duplicate":
			evs = slices.Insert(evs, i+1, evs[i])
			want = evs[i+1].ID
		case "swap":
			evs[i], evs[i+1] = evs[i+1], evs[i]
			want = evs[i].ID
		}
		_, err := events.Verify(evs, events.VerifyOptions{PublicKey: key.Public().(ed25519.PublicKey), AllSignatures: true})
		var ce *events.ChainError
		if !errors.As(err, &ce) {
			t.Fatalf("tampered stream verified: %v", err)
		}
		if ce.EventID != want && ce.Index != i {
			t.Fatalf("broken at %s (#%d), want %s (#%d)", ce.EventID, ce.Index, want, i)
		}
	})
}

// TestVerifyTailFromHeadAndKey verifies a stream read from the middle: its
// first event links to the head given, its seals are signed with the key
// given, and any other head or key breaks it.
func TestVerifyTailFromHeadAndKey(t *testing.T) {
	key, other := newKey(t), newKey(t)
	evs := chainedStream(t, key, 2, 3, 2)
	pub := key.Public().(ed25519.PublicKey)
	head, tail := evs[4].Hash, evs[5:] // after the second group's seal
	opts := events.VerifyOptions{PublicKey: pub, AllSignatures: true,
		Heads: map[string]string{"run": head}, Keys: map[string]ed25519.PublicKey{"run": pub}}
	v, err := events.Verify(tail, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Trusted) != 2 || v.Heads["run"] != evs[6].Hash || !v.Keys["run"].Equal(pub) {
		t.Fatalf("trusted %d, head %q, key %x", len(v.Trusted), v.Heads["run"], v.Keys["run"])
	}
	opts.Keys = map[string]ed25519.PublicKey{"run": other.Public().(ed25519.PublicKey)}
	if _, err := events.Verify(tail, opts); !errors.Is(err, events.ErrTampered) {
		t.Errorf("a tail verified with another key: %v", err)
	}
	opts.Keys = nil
	if _, err := events.Verify(tail, opts); !errors.Is(err, events.ErrTampered) {
		t.Errorf("a signed tail verified with no key: %v", err)
	}
	opts.Keys, opts.Heads = map[string]ed25519.PublicKey{"run": pub}, map[string]string{"run": evs[3].Hash}
	if _, err := events.Verify(tail, opts); !errors.Is(err, events.ErrTampered) {
		t.Errorf("a tail verified from another head: %v", err)
	}
}
