package natstransport

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
	"pgregory.net/rapid"
)

func TestToken(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "_"},
		{"_", "%5F"},
		{"__", "__"},
		{"agent-7", "agent-7"},
		{"bid_placed", "bid_placed"},
		{"acct:alice", "acct%3Aalice"},
		{"a.b", "a%2Eb"},
		{"*", "%2A"},
		{">", "%3E"},
		{"a b\t", "a%20b%09"},
		{"100%", "100%25"},
		{"é", "%C3%A9"},
	}
	for _, tt := range tests {
		if got := Token(tt.in); got != tt.want {
			t.Errorf("Token(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestTokenInjective checks that distinct strings have distinct tokens and
// that every token is a valid NATS subject token.
func TestTokenInjective(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		alphabet := rapid.SampledFrom([]string{"", "_", "%", "a", "Z", "9", "-", ".", "*", ">", " ", "%5F", "%25", "é"})
		a := strings.Join(rapid.SliceOfN(alphabet, 0, 6).Draw(t, "a"), "")
		b := strings.Join(rapid.SliceOfN(alphabet, 0, 6).Draw(t, "b"), "")
		ta, tb := Token(a), Token(b)
		if (a == b) != (ta == tb) {
			t.Fatalf("Token(%q) = %q, Token(%q) = %q", a, ta, b, tb)
		}
		if ta == "" || strings.ContainsAny(ta, ".*> \t\r\n") {
			t.Fatalf("Token(%q) = %q is not a subject token", a, ta)
		}
	})
}

func FuzzToken(f *testing.F) {
	f.Add("acct:alice")
	f.Add("_")
	f.Fuzz(func(t *testing.T, s string) {
		tok := Token(s)
		if tok == "" || strings.ContainsAny(tok, ".*> \t\r\n") {
			t.Fatalf("Token(%q) = %q is not a subject token", s, tok)
		}
		if got := unToken(tok); got != s {
			t.Fatalf("unToken(Token(%q)) = %q", s, got)
		}
	})
}

// unToken inverts Token, proving it injective on the fuzzed inputs.
func unToken(tok string) string {
	switch tok {
	case "_":
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(tok); i++ {
		if tok[i] != '%' {
			b.WriteByte(tok[i])
			continue
		}
		var v byte
		for _, c := range []byte(tok[i+1 : i+3]) {
			v <<= 4
			if c >= 'A' {
				v |= c - 'A' + 10
			} else {
				v |= c - '0'
			}
		}
		b.WriteByte(v)
		i += 2
	}
	return b.String()
}

func TestSubject(t *testing.T) {
	e := events.Event{Source: events.SourceLedger, Type: events.TypeCreditsMinted, Subject: "acct.alice"}
	if got, want := Subject("scarcity", e), "scarcity.ledger.credits_minted.acct%2Ealice._"; got != want {
		t.Fatalf("Subject = %q, want %q", got, want)
	}
	e = events.Event{Source: events.SourceLedger, Type: events.TypeCreditsTransferred, Subject: "a:b",
		Data: events.CreditsTransferred{Movement: events.Movement{From: "a:b", To: "bob"}}}
	if got, want := Subject("scarcity", e), "scarcity.ledger.credits_transferred.a%3Ab.bob"; got != want {
		t.Fatalf("Subject = %q, want %q", got, want)
	}
}

// The stream captures one subject per source, never a wildcard in the
// source position: the agentapi command subjects, as many tokens long,
// are never stored, and prefixes are learned back from the subjects.
func TestStreamSubjects(t *testing.T) {
	got := StreamSubjects("a.b")
	want := []string{"a.b.market.*.*.*", "a.b.ledger.*.*.*", "a.b.scheduler.*.*.*", "a.b.agent.*.*.*", "a.b.judge.*.*.*", "a.b.benchmark.*.*.*"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("StreamSubjects (-want +got):\n%s", diff)
	}
	if p, ok := streamPrefix(got); !ok || p != "a.b" {
		t.Fatalf("streamPrefix = %q, %v", p, ok)
	}
	for _, s := range got {
		if strings.Contains(s, ".cmd.") {
			t.Errorf("stream subject %q may capture commands", s)
		}
	}
}

func TestEventSubjectUnknownSource(t *testing.T) {
	_, err := eventSubject("p", events.Event{ID: "x", Source: "cmd", Type: "v1", Subject: "alice"})
	if !errors.Is(err, events.ErrInvalid) {
		t.Fatalf("eventSubject of source cmd: %v, want ErrInvalid", err)
	}
}

func TestFilterSubjects(t *testing.T) {
	tests := []struct {
		name string
		f    events.Filter
		want []string
	}{
		{"zero", events.Filter{}, nil},
		{"correlation only", events.Filter{Correlation: "r"}, nil},
		{"source", events.Filter{Sources: []events.Source{"agent"}}, []string{"p.agent.*.*.*"}},
		{"unknown source", events.Filter{Sources: []events.Source{"cmd"}}, nil},
		{"type", events.Filter{Types: []events.Type{"bid_placed"}}, []string{"p.*.bid_placed.*.*"}},
		{"empty subject", events.Filter{Subjects: []string{""}}, []string{"p.*.*._.*"}},
		{"cross", events.Filter{
			Sources:  []events.Source{"agent", "judge", "agent", "cmd"},
			Subjects: []string{"a.1", "b"},
		}, []string{"p.agent.*.a%2E1.*", "p.agent.*.b.*", "p.judge.*.a%2E1.*", "p.judge.*.b.*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, filterSubjects("p", tt.f)); diff != "" {
				t.Fatalf("filterSubjects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilterSubjectsBounded(t *testing.T) {
	f := events.Filter{Sources: []events.Source{"market", "ledger"}}
	for i := range 300 {
		f.Subjects = append(f.Subjects, strings.Repeat("s", i+1))
	}
	got := filterSubjects("p", f)
	if diff := cmp.Diff([]string{"p.market.*.*.*", "p.ledger.*.*.*"}, got); diff != "" {
		t.Fatalf("filterSubjects (-want +got):\n%s", diff)
	}
}
