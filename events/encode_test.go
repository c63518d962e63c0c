package events_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// filler fills the fields of a payload or an event from a few values that a
// test or the fuzzer picks: every field consumes one choice byte (its index
// in the value's fields once the bytes run out), which selects one of the
// strings, integers or times, or a nil, empty or full map or slice.
type filler struct {
	strs   [4]string // the three strings picked, and ""
	n      int64
	t      time.Time // a time, perhaps in a zone, perhaps unencodable
	choice []byte
	k      int // fields filled so far
}

func newFiller(s0, s1, s2 string, n int64, t time.Time, choice []byte) *filler {
	return &filler{strs: [4]string{s0, s1, s2, ""}, n: n, t: t, choice: choice}
}

// next returns the choice of the next field.
func (f *filler) next() int {
	k := f.k
	f.k++
	if k < len(f.choice) {
		return int(f.choice[k])
	}
	return k
}

func (f *filler) str() string { return f.strs[f.next()%len(f.strs)] }

func (f *filler) int() int64 {
	return [...]int64{f.n, -f.n, 0, math.MaxInt64, math.MinInt64}[f.next()%5]
}

func (f *filler) time() time.Time {
	return [...]time.Time{f.t, {}, t0, f.t.UTC()}[f.next()%4]
}

var (
	timeType = reflect.TypeFor[time.Time]()
	typeType = reflect.TypeFor[events.Type]()
	rawType  = reflect.TypeFor[events.Raw]()
)

// fill sets v, and everything in it, from f.
func (f *filler) fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(f.str())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(f.int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.int()))
	case reflect.Bool:
		v.SetBool(f.next()%2 == 1)
	case reflect.Struct:
		if v.Type() == timeType {
			v.Set(reflect.ValueOf(f.time()))
			return
		}
		for i := range v.NumField() {
			if sf := v.Type().Field(i); sf.IsExported() && sf.Type != typeType {
				f.fill(v.Field(i))
			}
		}
	case reflect.Map:
		switch f.next() % 3 {
		case 1:
			v.Set(reflect.MakeMap(v.Type()))
		case 2:
			v.Set(reflect.MakeMap(v.Type()))
			for _, k := range f.strs {
				e := reflect.New(v.Type().Elem()).Elem()
				f.fill(e)
				v.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), e)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 { // Raw's JSON
			v.SetBytes([]byte(f.str()))
			return
		}
		switch f.next() % 3 {
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		case 2:
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
			f.fill(v.Index(0))
			f.fill(v.Index(1))
		}
	}
}

// payload returns a payload of the type of like filled from f: by value or,
// as choice picks, by pointer.
func (f *filler) payload(like events.Payload) events.Payload {
	t := reflect.TypeOf(like)
	v := reflect.New(t)
	if t == rawType {
		v.Elem().FieldByName("Type").Set(reflect.ValueOf(like.EventType()))
	}
	f.fill(v.Elem())
	if f.next()%8 == 7 {
		return v.Interface().(events.Payload)
	}
	return v.Elem().Interface().(events.Payload)
}

// event returns an event carrying p whose envelope is filled from f. Unless
// choice says otherwise, it is made valid, so that its data gets encoded.
func (f *filler) event(p events.Payload) events.Event {
	e := eventOf(p, 1)
	f.fill(reflect.ValueOf(&e.ID).Elem())
	f.fill(reflect.ValueOf(&e.Subject).Elem())
	f.fill(reflect.ValueOf(&e.Correlation).Elem())
	f.fill(reflect.ValueOf(&e.Causation).Elem())
	f.fill(reflect.ValueOf(&e.TraceParent).Elem())
	f.fill(reflect.ValueOf(&e.Hash).Elem())
	f.fill(reflect.ValueOf(&e.Signature).Elem())
	f.fill(reflect.ValueOf(&e.Seal).Elem())
	f.fill(reflect.ValueOf(&e.Sequence).Elem())
	f.fill(reflect.ValueOf(&e.Schema).Elem())
	e.Time = f.time()
	if f.next()%16 == 15 {
		return e // as filled, valid or not
	}
	if e.ID == "" {
		e.ID = "id"
	}
	if e.Sequence == 0 {
		e.Sequence = 1
	}
	if e.Time.IsZero() || !events.TimeInRange(e.Time) {
		e.Time = t0
	}
	if e.Hash == "" {
		e.Hash = "h"
	}
	if e.Signature != "" {
		e.Seal = true
	}
	return e
}

// checkEncode fails t unless Encode and the reference encoder agree on e:
// the same bytes, or the same error.
func checkEncode(t testing.TB, e events.Event) {
	t.Helper()
	got, err := events.Encode(e)
	want, refErr := events.EncodeReference(e)
	if fmt.Sprint(err) != fmt.Sprint(refErr) || errors.Is(err, events.ErrInvalid) != errors.Is(refErr, events.ErrInvalid) {
		t.Fatalf("Encode(%#v) error = %v, reference error = %v", e, err, refErr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Encode(%#v) differs from the reference:\n got %s\nwant %s", e, got, want)
	}
}

// trickyStrings are strings that encoding/json escapes or replaces.
var trickyStrings = [][3]string{
	{"a1", "o1", "12.5"},
	{"<b>&amp;</b>", "é ü 日本 \u2028x\u2029", "\x00\x01\x1f\x7f\"\\/\b\f\n\r\t"},
	{"\xff\xfe\xc3", "a\xe2\x80", "\xed\xa0\x80 \xf4\x90\x80\x80"},
	{"", "", ""},
	{`{"a": [1, "<&>", 2.5e3] , "b" : null }`, " \"\u2028\xff\" ", "[1, 2"},
}

// trickyTimes are payload times in and out of what MarshalJSON can write.
var trickyTimes = []time.Time{
	t0,
	{},
	time.Date(2025, 6, 1, 12, 5, 0, 1, time.FixedZone("IST", 5*3600+1800)),
	time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
	time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.FixedZone("W", -11*3600)),
	time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
	time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
	t0.In(time.FixedZone("24h", 24*3600)),
	t0.In(time.FixedZone("100h", -100*3600)),
	t0.In(time.FixedZone("LMT", 561)),
	time.Unix(0, 0).In(time.FixedZone("Z0", 0)),
}

func TestEncodeMatchesReferenceOnSamples(t *testing.T) {
	for i, p := range samplePayloads() {
		t.Run(string(p.EventType()), func(t *testing.T) {
			e := eventOf(p, uint64(i+1))
			checkEncode(t, e)
			e.Hash, e.Seal, e.Signature = strings.Repeat("ab", 32), true, "c2lnbmF0dXJl"
			e.Subject, e.Correlation, e.Causation, e.TraceParent = "", "", "", ""
			checkEncode(t, e)
			e.Time = t0.In(time.FixedZone("CET", 3600))
			checkEncode(t, e)
		})
	}
}

func TestEncodeMatchesReferenceOnLargeMaps(t *testing.T) {
	q := events.Quantities{}
	d := map[string]events.Decimal{}
	for i := range 40 {
		k := fmt.Sprintf("r<%d>", 97*i%41)
		q[k], d[k] = int64(i)-20, events.Decimal(fmt.Sprint(i))
	}
	for _, p := range []events.Payload{
		events.MarketCleared{Volume: q, Prices: d, Utilisation: d},
		events.BidPlaced{Quantities: q},
		events.MarketCleared{Volume: events.Quantities{}, Prices: map[string]events.Decimal{}},
	} {
		checkEncode(t, eventOf(p, 1))
	}
}

func TestEncodeMatchesReferenceOnTrickyValues(t *testing.T) {
	choices := [][]byte{nil, {0}, {1}, {2}, {3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}
	for _, p := range samplePayloads() {
		t.Run(string(p.EventType()), func(t *testing.T) {
			for _, s := range trickyStrings {
				for _, tm := range trickyTimes {
					for _, c := range choices {
						choice := bytes.Repeat(c, 64/max(len(c), 1))
						f := newFiller(s[0], s[1], s[2], 1<<40+7, tm, choice)
						checkEncode(t, f.event(f.payload(p)))
					}
				}
			}
		})
	}
}

func TestEncodeMatchesReferenceOnInvalidEvents(t *testing.T) {
	e := eventOf(events.AgentAwake{AgentID: "a1"}, 1)
	for _, mutate := range []func(*events.Event){
		func(e *events.Event) { e.ID = "" },
		func(e *events.Event) { e.Type = "" },
		func(e *events.Event) { e.Time = time.Time{} },
		func(e *events.Event) { e.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		func(e *events.Event) { e.Sequence = 0 },
		func(e *events.Event) { e.Data = nil },
		func(e *events.Event) { e.Seal = true },
		func(e *events.Event) {
			e.Data = events.HoldPlaced{ExpiresAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
		},
		func(e *events.Event) { e.Data = events.Raw{Type: "agent_awake", JSON: []byte("{")} },
	} {
		x := e
		mutate(&x)
		if x.Data != nil {
			x.Type = x.Data.EventType()
		}
		checkEncode(t, x)
	}
}

// TestEncodeWritesCommonData checks that Encode writes the data of the
// common types itself, and the encoding of their events in one allocation.
func TestEncodeWritesCommonData(t *testing.T) {
	common := map[events.Type]bool{}
	for _, typ := range []events.Type{
		events.TypeBidPlaced, events.TypeBidRejected, events.TypeOrderCancelled,
		events.TypeMarketCleared, events.TypeResourcesAllocated, events.TypePriceUpdate,
		events.TypeAccountOpened, events.TypeAccountClosed, events.TypeCreditsTransferred,
		events.TypeCreditsMinted, events.TypeCreditsBurned, events.TypeHoldPlaced,
		events.TypeHoldCaptured, events.TypeHoldReleased, events.TypeBalanceQueried,
		events.TypeBundleScheduled, events.TypeBundleActivated, events.TypeBundleExpired,
		events.TypeBundleReleased, events.TypeUsageRecorded, events.TypeServiceDenied,
		events.TypeAgentTerminated, events.TypeSpendLimitReached, events.TypeUsageReserved,
		events.TypeReservationReleased, events.TypeAgentAwake, events.TypeAgentDormant,
	} {
		common[typ] = true
	}
	for i, p := range samplePayloads() {
		if got, want := events.WritesData(p), common[p.EventType()]; got != want {
			t.Errorf("%s: Encode writes the data itself: %v, want %v", p.EventType(), got, want)
		}
		if !common[p.EventType()] {
			continue
		}
		e := eventOf(p, uint64(i+1))
		e.Hash = strings.Repeat("ab", 32)
		if n := testing.AllocsPerRun(10, func() { mustEncode(t, e) }); n > 1 {
			t.Errorf("%s: Encode makes %v allocations, want 1", p.EventType(), n)
		}
	}
}

// FuzzEncodeMatchesReference checks Encode against the encoding/json
// encoder it replaced: for every sample payload type, by value and by
// pointer, with its fields filled from the fuzzer's strings, integer and
// time, both give the same bytes or the same error.
func FuzzEncodeMatchesReference(f *testing.F) {
	for i, s := range trickyStrings {
		for j, tm := range trickyTimes {
			_, off := tm.Zone()
			f.Add(s[0], s[1], s[2], int64(i*j)<<(3*j), tm.Unix(), int64(tm.Nanosecond()), int32(off), []byte{byte(i), byte(j), byte(i + j)})
		}
	}
	f.Add("", "", "", int64(0), int64(0), int64(0), int32(0), []byte(nil))
	samples := samplePayloads()
	f.Fuzz(func(t *testing.T, s0, s1, s2 string, n, sec, nsec int64, offset int32, choice []byte) {
		tm := time.Unix(sec, nsec).In(time.FixedZone("z", int(offset)))
		for _, p := range samples {
			fl := newFiller(s0, s1, s2, n, tm, choice)
			checkEncode(t, fl.event(fl.payload(p)))
		}
	})
}

// encodeBenchEvents returns a realistic mix of events as a market writes
// them: stamped by a sequencer and chained.
func encodeBenchEvents(tb testing.TB) []events.Event {
	tb.Helper()
	var out []events.Event
	batch := events.NewSequencer(events.SourceMarket, "run-1", 0).Batch(t0)
	for _, typ := range []events.Type{
		events.TypeBidPlaced, events.TypeHoldPlaced, events.TypeResourcesAllocated,
		events.TypeUsageRecorded, events.TypeMarketCleared,
	} {
		for _, p := range samplePayloads() {
			if p.EventType() == typ {
				e := batch.Add("a1", p)
				e.Hash = strings.Repeat("9f", 32)
				out = append(out, e)
			}
		}
	}
	if len(out) != 5 {
		tb.Fatalf("%d bench events, want 5", len(out))
	}
	return out
}

func benchmarkEncode(b *testing.B, encode func(events.Event) ([]byte, error)) {
	evs := encodeBenchEvents(b)
	for _, e := range evs {
		b.Run(string(e.Type), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := encode(e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("mix", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := encode(evs[i%len(evs)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkEncode measures Encode over a mix of common events.
func BenchmarkEncode(b *testing.B) { benchmarkEncode(b, events.Encode) }

// BenchmarkEncodeBaseline measures the encoding/json encoder Encode
// replaced on the same events.
func BenchmarkEncodeBaseline(b *testing.B) { benchmarkEncode(b, events.EncodeReference) }
