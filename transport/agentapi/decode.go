package agentapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/sched"
)

// Bounds on the fields of a request.
const (
	// MaxQuantity bounds every quantity, level and reservation size.
	MaxQuantity = 1_000_000_000_000_000
	// MaxResources bounds the resources of one bid.
	MaxResources = 64
	// MaxDurationSeconds bounds a bid's window: 366 days.
	MaxDurationSeconds = 366 * 24 * 3600
	// MaxDepth bounds the nesting of a request's JSON.
	MaxDepth = 4
	// maxBundleIDLen bounds a bundle id: the market's "bundle/<order>/<placement>".
	maxBundleIDLen = scarcity.MaxIDLen + 32
)

// command is a decoded, validated request.
type command interface {
	validate() error
}

// newCommand returns an empty request of verb, or false for an unknown verb.
func newCommand(v Verb) (command, bool) {
	switch v {
	case VerbOpen, VerbBalance, VerbPrices:
		return &emptyCommand{verb: v}, true
	case VerbBid:
		return &bidRequest{}, true
	case VerbCancel:
		return &cancelRequest{}, true
	case VerbUse:
		return &useRequest{}, true
	case VerbReport:
		return &reportRequest{}, true
	case VerbRelease:
		return &releaseRequest{}, true
	case VerbReserve:
		return &reserveRequest{}, true
	case VerbCommit:
		return &commitRequest{}, true
	case VerbCancelReservation:
		return &cancelReservationRequest{}, true
	case VerbTransfer:
		return &transferRequest{}, true
	case VerbEmit: // emit.go
		return &emitRequest{}, true
	case VerbReward: // reward.go
		return &rewardRequest{}, true
	}
	return nil, false
}

// emptyCommand is a request without fields.
type emptyCommand struct {
	emptyRequest
	verb Verb
}

// decodeRequest decodes and validates the body of a verb request of at most
// maxSize bytes. Errors wrap ErrInvalidRequest.
func decodeRequest(verb Verb, body []byte, maxSize int) (command, error) {
	if len(body) > maxSize {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrInvalidRequest, len(body), maxSize)
	}
	cmd, ok := newCommand(verb)
	if !ok {
		return nil, fmt.Errorf("%w: unknown verb %q", ErrInvalidRequest, truncate(string(verb)))
	}
	if err := strictUnmarshal(body, cmd); err != nil {
		return nil, err
	}
	if err := cmd.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	return cmd, nil
}

// strictUnmarshal decodes body, which must be exactly one JSON object whose
// keys are exactly those of v's json tags (required unless omitempty),
// into v. No key may repeat at any depth, no value may be null, and the
// nesting is at most MaxDepth.
func strictUnmarshal(body []byte, v any) error {
	if err := checkObject(body, jsonKeys(v)); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	return nil
}

// jsonKeys returns the json names of the exported fields of the struct v
// points to (embedded structs flattened), true for a required one.
func jsonKeys(v any) map[string]bool {
	keys := map[string]bool{}
	addKeys(reflect.TypeOf(v).Elem(), keys)
	return keys
}

func addKeys(t reflect.Type, keys map[string]bool) {
	for f := range t.Fields() {
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			addKeys(f.Type, keys)
			continue
		}
		tag, ok := f.Tag.Lookup("json")
		if !ok || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		keys[name] = !strings.Contains(opts, "omitempty")
	}
}

// checkObject checks the shape of body: one JSON object with the keys of
// keys (the required ones present), nothing after it, no duplicate keys or
// nulls anywhere, nesting at most MaxDepth.
func checkObject(body []byte, keys map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		key := k.(string)
		if _, ok := keys[key]; !ok {
			return fmt.Errorf("unknown field %q", truncate(key))
		}
		if seen[key] {
			return fmt.Errorf("duplicate field %q", key)
		}
		seen[key] = true
		if err := checkValue(dec, 1); err != nil {
			return fmt.Errorf("field %q: %w", key, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("more than one JSON value")
	}
	for key, required := range keys {
		if required && !seen[key] {
			return fmt.Errorf("missing field %q", key)
		}
	}
	return nil
}

// checkValue reads one value from dec at depth.
func checkValue(dec *json.Decoder, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("nested deeper than %d", MaxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case nil:
		return fmt.Errorf("null")
	case json.Delim('['):
		for dec.More() {
			if err := checkValue(dec, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			if seen[k.(string)] {
				return fmt.Errorf("duplicate key %q", truncate(k.(string)))
			}
			seen[k.(string)] = true
			if err := checkValue(dec, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	}
	return nil
}

// truncate shortens s for an error message.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

func (*emptyCommand) validate() error { return nil }

func (r *bidRequest) validate() error {
	if err := scarcity.ValidateID("order", r.ID); err != nil {
		return err
	}
	if len(r.Quantities) == 0 || len(r.Quantities) > MaxResources {
		return fmt.Errorf("bid has %d resources, want 1 to %d", len(r.Quantities), MaxResources)
	}
	for name, q := range r.Quantities {
		if err := validResource(name); err != nil {
			return err
		}
		if err := quantity("quantity of "+name, q, 1); err != nil {
			return err
		}
	}
	if r.DurationSeconds <= 0 || r.DurationSeconds > MaxDurationSeconds {
		return fmt.Errorf("duration_seconds %d not in 1..%d", r.DurationSeconds, MaxDurationSeconds)
	}
	if _, err := parseStart(r.Start); err != nil {
		return err
	}
	_, err := parseAmount("limit", r.Limit)
	return err
}

func (r *cancelRequest) validate() error { return scarcity.ValidateID("order", r.OrderID) }

func (r *useRequest) validate() error {
	if err := validResource(r.Resource); err != nil {
		return err
	}
	return quantity("quantity", r.Quantity, 1)
}

func (r *reportRequest) validate() error {
	if err := validResource(r.Resource); err != nil {
		return err
	}
	return quantity("level", r.Level, 0)
}

func (r *releaseRequest) validate() error { return validBundleID(r.BundleID) }

func (r *reserveRequest) validate() error {
	if err := validResource(r.Resource); err != nil {
		return err
	}
	if err := quantity("worst_case", r.WorstCase, 1); err != nil {
		return err
	}
	if r.TTLMillis <= 0 || r.TTLMillis > sched.MaxReservationTTL.Milliseconds() {
		return fmt.Errorf("ttl_ms %d not in 1..%d", r.TTLMillis, sched.MaxReservationTTL.Milliseconds())
	}
	return nil
}

func (r *commitRequest) validate() error {
	if err := scarcity.ValidateID("reservation", r.ReservationID); err != nil {
		return err
	}
	return quantity("actual", r.Actual, 0)
}

func (r *cancelReservationRequest) validate() error {
	return scarcity.ValidateID("reservation", r.ReservationID)
}

func (r *transferRequest) validate() error {
	if err := scarcity.ValidateID("transfer", r.ID); err != nil {
		return err
	}
	if err := scarcity.ValidateID("agent", r.To); err != nil {
		return err
	}
	_, err := parseAmount("amount", r.Amount)
	return err
}

// quantity checks that q is in min..MaxQuantity.
func quantity(what string, q, min int64) error {
	if q < min || q > MaxQuantity {
		return fmt.Errorf("%s %d not in %d..%d", what, q, min, int64(MaxQuantity))
	}
	return nil
}

// validResource checks a resource name by the rules of ids.
func validResource(name string) error {
	if err := scarcity.ValidateID("resource", name); err != nil {
		return fmt.Errorf("resource name: %v", err)
	}
	return nil
}

// validBundleID checks a bundle id: id bytes and '/', 1 to maxBundleIDLen.
func validBundleID(id string) error {
	if id == "" || len(id) > maxBundleIDLen {
		return fmt.Errorf("bundle id of %d bytes not in 1..%d", len(id), maxBundleIDLen)
	}
	for _, part := range strings.Split(id, "/") {
		if err := scarcity.ValidateID("bundle", part); err != nil {
			return err
		}
	}
	return nil
}

// parseAmount parses s strictly as a positive finite decimal string: no
// exponent, NaN, infinity or sign other than none.
func parseAmount(what, s string) (*apd.Decimal, error) {
	canonical, err := events.ParseDecimal(s)
	if err != nil || strings.HasPrefix(s, "+") {
		return nil, fmt.Errorf("%s %q is not a decimal string", what, truncate(s))
	}
	d := canonical.MustApd()
	if d.Sign() <= 0 {
		return nil, fmt.Errorf("%s %s is not positive", what, canonical)
	}
	return d, nil
}

// parseStart parses an optional RFC 3339 window start; "" is the zero time.
func parseStart(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("start %q is not RFC 3339", truncate(s))
	}
	return t, nil
}
