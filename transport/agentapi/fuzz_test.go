package agentapi

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity"
)

var (
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9_:-]{1,64}$`)
	amountPattern = regexp.MustCompile(`^-?[0-9]*\.?[0-9]*$`)
)

// FuzzDecodeRequest checks that the request decoder never panics and that
// whatever it accepts is one JSON object within bounds that survives a
// round trip.
func FuzzDecodeRequest(f *testing.F) {
	seeds := []struct {
		verb Verb
		body string
	}{
		{VerbOpen, `{}`},
		{VerbBid, `{"id":"a1","quantities":{"cpu":60,"tokens":10},"duration_seconds":600,"limit":"60.5"}`},
		{VerbBid, `{"id":"a1","quantities":{"cpu":1},"start":"2026-01-02T03:04:05.5Z","duration_seconds":60,"limit":"1"}`},
		{VerbCancel, `{"order_id":"a1"}`},
		{VerbUse, `{"resource":"tokens","quantity":10}`},
		{VerbReport, `{"resource":"cpu","level":0}`},
		{VerbRelease, `{"bundle_id":"bundle/a1"}`},
		{VerbReserve, `{"resource":"tokens","worst_case":20,"ttl_ms":60000}`},
		{VerbCommit, `{"reservation_id":"rsv-000000000001","actual":0}`},
		{VerbCancelReservation, `{"reservation_id":"rsv-000000000001"}`},
		{VerbTransfer, `{"id":"t1","to":"bob","amount":"5.25"}`},
		{VerbTransfer, `{"id":"t1","to":"bob","amount":"1e400"}`},
		{VerbTransfer, `{"id":"t1","to":"bob","amount":"NaN","amount":"1"}`},
		{VerbCancel, `{"order_id":"x"}{"order_id":"y"}`},
		{VerbReward, `{"id":"r1","agent":"alice","amount":"20","reason":"a clear plan"}`},
		{VerbReward, `{"id":"r1","agent":"alice","amount":"20","human":"dave"}`},
		{"mint", `{}`},
	}
	for _, s := range seeds {
		f.Add(string(s.verb), []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, verb string, body []byte) {
		cmd, err := decodeRequest(Verb(verb), body, DefaultMaxMessage)
		if err != nil {
			return
		}
		if !Verb(verb).known() || len(body) > DefaultMaxMessage || !json.Valid(body) {
			t.Fatalf("accepted %q %q", verb, body)
		}
		checkAccepted(t, cmd)
		again, err := json.Marshal(cmd)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeRequest(Verb(verb), again, DefaultMaxMessage)
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", again, err)
		}
		if diff := cmp.Diff(cmd, back, cmp.AllowUnexported(emptyCommand{})); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// checkAccepted checks the bounds of an accepted request independently of
// the decoder's own checks.
func checkAccepted(t *testing.T, cmd command) {
	ids := func(ss ...string) {
		for _, s := range ss {
			if !idPattern.MatchString(s) {
				t.Fatalf("accepted id %q", s)
			}
		}
	}
	qty := func(q, min int64) {
		if q < min || q > MaxQuantity {
			t.Fatalf("accepted quantity %d", q)
		}
	}
	switch c := cmd.(type) {
	case *bidRequest:
		ids(c.ID)
		positive(t, c.Limit)
		if len(c.Quantities) == 0 || len(c.Quantities) > MaxResources || c.DurationSeconds < 1 || c.DurationSeconds > MaxDurationSeconds {
			t.Fatalf("accepted bid %+v", c)
		}
		for name, q := range c.Quantities {
			ids(name)
			qty(q, 1)
		}
	case *transferRequest:
		ids(c.ID, c.To)
		positive(t, c.Amount)
	case *cancelRequest:
		ids(c.OrderID)
	case *useRequest:
		ids(c.Resource)
		qty(c.Quantity, 1)
	case *reportRequest:
		ids(c.Resource)
		qty(c.Level, 0)
	case *reserveRequest:
		ids(c.Resource)
		qty(c.WorstCase, 1)
	case *commitRequest:
		ids(c.ReservationID)
		qty(c.Actual, 0)
	case *cancelReservationRequest:
		ids(c.ReservationID)
	case *rewardRequest:
		ids(c.ID, c.Agent)
		positive(t, c.Amount)
		if len(c.Reason) > scarcity.MaxRewardReasonLen {
			t.Fatalf("accepted a reason of %d bytes", len(c.Reason))
		}
	}
}

// positive fails t unless s is a plain positive decimal.
func positive(t *testing.T, s string) {
	d, _, err := apd.NewFromString(s)
	if !amountPattern.MatchString(s) || err != nil || d.Form != apd.Finite || d.Sign() <= 0 {
		t.Fatalf("accepted amount %q", s)
	}
}
