package events

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds Encode's writer. It appends the CloudEvents form of an
// event to a byte slice without reflection, writing exactly the bytes that
// json.Marshal wrote for the wire form (wireEvent) holding json.Marshal of
// the data: the same member order, the same omitempty and omitzero, the
// same string escaping (HTML characters, U+2028 and U+2029 escaped, invalid
// UTF-8 replaced by U+FFFD). The data of the common payload types is
// written by hand (appendPayload); any other payload, and any value that
// json.Marshal would refuse, goes to json.Marshal. The differential tests
// (encode_test.go) hold it to the encoding/json encoder byte for byte.

// encodeStackSize is the size of the buffer, on Encode's stack, that an
// event is written into before it is copied out at its exact length; a
// larger event grows onto the heap.
const encodeStackSize = 1024

// appendEvent appends the encoding of the valid event e to dst.
func appendEvent(dst []byte, e *Event) ([]byte, error) {
	dst = appendStringMember(dst, `{"specversion":"1.0","id":`, e.ID)
	dst = appendStringMember(dst, `,"source":`, string(e.Source))
	dst = appendStringMember(dst, `,"type":`, string(e.Type))
	dst = appendOmitEmpty(dst, `,"subject":`, e.Subject)
	dst = append(dst, `,"time":"`...)
	dst = e.Time.UTC().AppendFormat(dst, time.RFC3339Nano) // nothing to escape
	dst = append(dst, `","datacontenttype":"application/json"`...)
	dst = appendOmitEmpty(dst, `,"dataschema":`, DataSchema(e.Type, e.Schema))
	dst = append(dst, `,"sequence":"`...)
	dst = strconv.AppendUint(dst, e.Sequence, 10)
	dst = append(dst, '"')
	dst = appendOmitEmpty(dst, `,"correlationid":`, e.Correlation)
	dst = appendOmitEmpty(dst, `,"causationid":`, e.Causation)
	dst = appendOmitEmpty(dst, `,"traceparent":`, e.TraceParent)
	dst = appendIntMember(dst, `,"schemaversion":`, int64(e.Schema))
	dst = appendOmitEmpty(dst, `,"chainhash":`, e.Hash)
	if e.Seal {
		dst = append(dst, `,"chainseal":true`...)
	}
	dst = appendOmitEmpty(dst, `,"chainsig":`, e.Signature)
	dst = append(dst, `,"data":`...)
	mark := len(dst)
	dst, ok := appendPayload(dst, e.Data)
	if !ok {
		// json.Marshal writes compact JSON with HTML escaped, which the
		// wire form's json.RawMessage kept as it was.
		data, err := json.Marshal(e.Data)
		if err != nil {
			return nil, err
		}
		dst = append(dst[:mark], data...)
	}
	return append(dst, '}'), nil
}

// appendPayload appends the JSON of p as json.Marshal writes it and reports
// true, if p is one of the payload types it knows, held by value. It
// reports false for any other payload (Raw, a pointer, a type of another
// package) and for one holding a time that time.Time.MarshalJSON refuses,
// and dst then holds garbage past its former length.
func appendPayload(dst []byte, p Payload) ([]byte, bool) {
	switch p := p.(type) {
	// Market.
	case BidPlaced:
		return appendBidPlaced(dst, &p)
	case BidRejected:
		return appendBidRejected(dst, &p), true
	case OrderCancelled:
		return appendOrderCancelled(dst, &p), true
	case MarketCleared:
		return appendMarketCleared(dst, &p), true
	case ResourcesAllocated:
		return appendResourcesAllocated(dst, &p)
	case PriceUpdate:
		return appendPriceUpdate(dst, &p), true
	// Ledger.
	case AccountOpened:
		return appendAccountOpened(dst, &p), true
	case AccountClosed:
		return appendAccountClosed(dst, &p), true
	case CreditsTransferred:
		return appendMovementJSON(dst, &p.Movement), true
	case CreditsMinted:
		return appendMovementJSON(dst, &p.Movement), true
	case CreditsBurned:
		return appendMovementJSON(dst, &p.Movement), true
	case HoldPlaced:
		return appendHoldPlaced(dst, &p)
	case HoldCaptured:
		return appendHoldCaptured(dst, &p), true
	case HoldReleased:
		return appendHoldReleased(dst, &p), true
	case BalanceQueried:
		return appendBalanceQueried(dst, &p), true
	// Scheduler.
	case BundleScheduled:
		return appendBundleScheduled(dst, &p)
	case BundleActivated:
		return appendBundleAgent(dst, p.BundleID, p.AgentID), true
	case BundleExpired:
		return appendBundleAgent(dst, p.BundleID, p.AgentID), true
	case BundleReleased:
		return appendBundleReleased(dst, &p), true
	case UsageRecorded:
		return appendUsageRecorded(dst, &p), true
	case ServiceDenied:
		return appendServiceDenied(dst, &p), true
	case AgentTerminated:
		return appendAgentTerminated(dst, &p), true
	case SpendLimitReached:
		return appendSpendLimitReached(dst, &p)
	case UsageReserved:
		return appendUsageReserved(dst, &p)
	case ReservationReleased:
		return appendReservationReleased(dst, &p), true
	case AgentAwake:
		return appendAgentID(dst, p.AgentID), true
	case AgentDormant:
		return appendAgentID(dst, p.AgentID), true
	}
	return dst, false
}

func appendBidPlaced(dst []byte, p *BidPlaced) ([]byte, bool) {
	dst = appendStringMember(dst, `{"order_id":`, p.OrderID)
	dst = appendStringMember(dst, `,"agent_id":`, p.AgentID)
	dst = appendQuantities(append(dst, `,"quantities":`...), p.Quantities)
	dst, ok := appendWindow(append(dst, `,"window":`...), &p.Window)
	dst = appendStringMember(dst, `,"total_cost":`, string(p.TotalCost))
	dst = appendStringMember(dst, `,"hold_id":`, p.HoldID)
	return append(dst, '}'), ok
}

func appendBidRejected(dst []byte, p *BidRejected) []byte {
	dst = appendStringMember(dst, `{"order_id":`, p.OrderID)
	dst = appendStringMember(dst, `,"agent_id":`, p.AgentID)
	dst = appendStringMember(dst, `,"reason":`, string(p.Reason))
	dst = appendOmitEmpty(dst, `,"detail":`, p.Detail)
	return append(dst, '}')
}

func appendOrderCancelled(dst []byte, p *OrderCancelled) []byte {
	dst = appendStringMember(dst, `{"order_id":`, p.OrderID)
	dst = appendStringMember(dst, `,"agent_id":`, p.AgentID)
	return append(dst, '}')
}

func appendMarketCleared(dst []byte, p *MarketCleared) []byte {
	dst = appendUintMember(dst, `{"round":`, p.Round)
	dst = appendStringMember(dst, `,"mechanism":`, p.Mechanism)
	dst = appendIntMember(dst, `,"bids":`, int64(p.Bids))
	dst = appendIntMember(dst, `,"winners":`, int64(p.Winners))
	dst = appendQuantities(append(dst, `,"volume":`...), p.Volume)
	dst = appendDecimals(append(dst, `,"clearing_prices":`...), p.Prices)
	dst = appendDecimals(append(dst, `,"utilisation":`...), p.Utilisation)
	dst = appendStringMember(dst, `,"revenue":`, string(p.Revenue))
	dst = appendStringMember(dst, `,"surplus":`, string(p.Surplus))
	dst = appendOmitEmpty(dst, `,"welfare":`, string(p.Welfare))
	dst = appendOmitEmpty(dst, `,"optimal_welfare":`, string(p.OptimalWelfare))
	dst = appendOmitEmpty(dst, `,"efficiency":`, string(p.Efficiency))
	dst = appendOmitEmpty(dst, `,"greedy_welfare":`, string(p.GreedyWelfare))
	return append(dst, '}')
}

func appendResourcesAllocated(dst []byte, p *ResourcesAllocated) ([]byte, bool) {
	dst = appendStringMember(dst, `{"order_id":`, p.OrderID)
	dst = appendStringMember(dst, `,"agent_id":`, p.AgentID)
	dst = appendStringMember(dst, `,"bundle_id":`, p.BundleID)
	dst = appendUintMember(dst, `,"round":`, p.Round)
	dst = appendQuantities(append(dst, `,"quantities":`...), p.Quantities)
	dst, ok := appendWindow(append(dst, `,"window":`...), &p.Window)
	dst = appendStringMember(dst, `,"amount":`, string(p.Amount))
	dst = appendStringMember(dst, `,"bid":`, string(p.Bid))
	dst = appendStringMember(dst, `,"payment_id":`, p.PaymentID)
	dst = appendOmitEmpty(dst, `,"lease_id":`, p.LeaseID)
	return append(dst, '}'), ok
}

func appendPriceUpdate(dst []byte, p *PriceUpdate) []byte {
	dst = appendStringMember(dst, `{"resource":`, p.Resource)
	dst = appendUintMember(dst, `,"round":`, p.Round)
	dst = appendStringMember(dst, `,"old":`, string(p.Old))
	dst = appendStringMember(dst, `,"new":`, string(p.New))
	dst = appendStringMember(dst, `,"utilisation":`, string(p.Utilisation))
	dst = appendStringMember(dst, `,"reason":`, p.Reason)
	return append(dst, '}')
}

func appendAccountOpened(dst []byte, p *AccountOpened) []byte {
	dst = appendStringMember(dst, `{"account_id":`, p.AccountID)
	dst = appendStringMember(dst, `,"kind":`, p.Kind)
	dst = strconv.AppendBool(append(dst, `,"allow_negative":`...), p.AllowNegative)
	dst = appendOmitEmpty(dst, `,"overdraft_limit":`, string(p.OverdraftLimit))
	return append(dst, '}')
}

func appendAccountClosed(dst []byte, p *AccountClosed) []byte {
	dst = appendStringMember(dst, `{"account_id":`, p.AccountID)
	dst = appendStringMember(dst, `,"kind":`, p.Kind)
	return append(dst, '}')
}

// appendMovementJSON appends a Movement, the whole of the JSON of the
// payloads that embed it.
func appendMovementJSON(dst []byte, m *Movement) []byte {
	dst = appendStringMember(dst, `{"transfer_id":`, m.TransferID)
	dst = appendStringMember(dst, `,"from":`, m.From)
	dst = appendStringMember(dst, `,"to":`, m.To)
	dst = appendStringMember(dst, `,"amount":`, string(m.Amount))
	dst = appendOmitEmpty(dst, `,"reason":`, m.Reason)
	dst = appendStringMember(dst, `,"from_balance":`, string(m.FromBalance))
	dst = appendStringMember(dst, `,"to_balance":`, string(m.ToBalance))
	return append(dst, '}')
}

func appendHoldPlaced(dst []byte, p *HoldPlaced) ([]byte, bool) {
	dst = appendStringMember(dst, `{"hold_id":`, p.HoldID)
	dst = appendStringMember(dst, `,"account_id":`, p.AccountID)
	dst = appendStringMember(dst, `,"amount":`, string(p.Amount))
	dst = appendStringMember(dst, `,"balance":`, string(p.Balance))
	dst = appendStringMember(dst, `,"pending":`, string(p.Pending))
	ok := true
	if !p.ExpiresAt.IsZero() {
		dst, ok = appendJSONTime(append(dst, `,"expires_at":`...), p.ExpiresAt)
	}
	return append(dst, '}'), ok
}

func appendHoldCaptured(dst []byte, p *HoldCaptured) []byte {
	dst = appendStringMember(dst, `{"hold_id":`, p.HoldID)
	dst = appendStringMember(dst, `,"transfer_id":`, p.TransferID)
	dst = appendStringMember(dst, `,"account_id":`, p.AccountID)
	dst = appendStringMember(dst, `,"to":`, p.To)
	dst = appendStringMember(dst, `,"amount":`, string(p.Amount))
	dst = appendStringMember(dst, `,"released":`, string(p.Released))
	dst = appendStringMember(dst, `,"remaining":`, string(p.Remaining))
	dst = appendOmitEmpty(dst, `,"reason":`, p.Reason)
	dst = appendStringMember(dst, `,"from_balance":`, string(p.FromBalance))
	dst = appendStringMember(dst, `,"to_balance":`, string(p.ToBalance))
	dst = appendStringMember(dst, `,"pending":`, string(p.Pending))
	return append(dst, '}')
}

func appendHoldReleased(dst []byte, p *HoldReleased) []byte {
	dst = appendStringMember(dst, `{"hold_id":`, p.HoldID)
	dst = appendStringMember(dst, `,"account_id":`, p.AccountID)
	dst = appendStringMember(dst, `,"amount":`, string(p.Amount))
	dst = appendOmitEmpty(dst, `,"reason":`, p.Reason)
	dst = appendStringMember(dst, `,"pending":`, string(p.Pending))
	return append(dst, '}')
}

func appendBalanceQueried(dst []byte, p *BalanceQueried) []byte {
	dst = appendStringMember(dst, `{"account_id":`, p.AccountID)
	dst = appendStringMember(dst, `,"balance":`, string(p.Balance))
	dst = appendStringMember(dst, `,"pending":`, string(p.Pending))
	dst = appendStringMember(dst, `,"available":`, string(p.Available))
	return append(dst, '}')
}

func appendBundleScheduled(dst []byte, p *BundleScheduled) ([]byte, bool) {
	dst = appendStringMember(dst, `{"bundle_id":`, p.BundleID)
	dst = appendStringMember(dst, `,"agent_id":`, p.AgentID)
	dst = appendOmitEmpty(dst, `,"order_id":`, p.OrderID)
	dst = appendQuantities(append(dst, `,"quantities":`...), p.Quantities)
	dst, ok := appendWindow(append(dst, `,"window":`...), &p.Window)
	dst = appendOmitEmpty(dst, `,"lease_hold":`, p.LeaseHold)
	dst = appendOmitEmpty(dst, `,"lease_amount":`, string(p.LeaseAmount))
	dst = appendOmitEmpty(dst, `,"lease_payee":`, p.LeasePayee)
	if p.LeaseScale != 0 {
		dst = appendIntMember(dst, `,"lease_scale":`, int64(p.LeaseScale))
	}
	return append(dst, '}'), ok
}

// appendBundleAgent appends the JSON of BundleActivated and BundleExpired.
func appendBundleAgent(dst []byte, bundle, agent string) []byte {
	dst = appendStringMember(dst, `{"bundle_id":`, bundle)
	dst = appendStringMember(dst, `,"agent_id":`, agent)
	return append(dst, '}')
}

func appendBundleReleased(dst []byte, p *BundleReleased) []byte {
	dst = appendStringMember(dst, `{"bundle_id":`, p.BundleID)
	dst = appendStringMember(dst, `,"agent_id":`, p.AgentID)
	dst = appendStringMember(dst, `,"reason":`, p.Reason)
	return append(dst, '}')
}

func appendUsageRecorded(dst []byte, p *UsageRecorded) []byte {
	dst = appendStringMember(dst, `{"bundle_id":`, p.BundleID)
	dst = appendStringMember(dst, `,"agent_id":`, p.AgentID)
	dst = appendStringMember(dst, `,"resource":`, p.Resource)
	dst = appendIntMember(dst, `,"quantity":`, p.Quantity)
	dst = appendIntMember(dst, `,"used":`, p.Used)
	dst = appendIntMember(dst, `,"limit":`, p.Limit)
	return append(dst, '}')
}

func appendServiceDenied(dst []byte, p *ServiceDenied) []byte {
	dst = appendStringMember(dst, `{"agent_id":`, p.AgentID)
	dst = appendStringMember(dst, `,"resource":`, p.Resource)
	dst = appendIntMember(dst, `,"requested":`, p.Requested)
	dst = appendIntMember(dst, `,"available":`, p.Available)
	dst = appendStringMember(dst, `,"reason":`, p.Reason)
	return append(dst, '}')
}

func appendAgentTerminated(dst []byte, p *AgentTerminated) []byte {
	dst = appendStringMember(dst, `{"agent_id":`, p.AgentID)
	dst = appendOmitEmpty(dst, `,"bundle_id":`, p.BundleID)
	dst = appendStringMember(dst, `,"reason":`, p.Reason)
	dst = appendOmitEmpty(dst, `,"resource":`, p.Resource)
	if p.Used != 0 {
		dst = appendIntMember(dst, `,"used":`, p.Used)
	}
	if p.Limit != 0 {
		dst = appendIntMember(dst, `,"limit":`, p.Limit)
	}
	return append(dst, '}')
}

func appendSpendLimitReached(dst []byte, p *SpendLimitReached) ([]byte, bool) {
	dst = appendStringMember(dst, `{"agent_id":`, p.AgentID)
	dst = appendStringMember(dst, `,"resource":`, p.Resource)
	dst = appendIntMember(dst, `,"requested":`, p.Requested)
	dst = appendIntMember(dst, `,"spent":`, p.Spent)
	dst = appendIntMember(dst, `,"reserved":`, p.Reserved)
	dst = appendIntMember(dst, `,"limit":`, p.Limit)
	dst = appendStringMember(dst, `,"unit":`, string(p.Unit))
	dst = appendStringMember(dst, `,"window_seconds":`, string(p.WindowSeconds))
	ok := true
	if !p.FreesAt.IsZero() {
		dst, ok = appendJSONTime(append(dst, `,"frees_at":`...), p.FreesAt)
	}
	return append(dst, '}'), ok
}

func appendUsageReserved(dst []byte, p *UsageReserved) ([]byte, bool) {
	dst = appendStringMember(dst, `{"reservation_id":`, p.ReservationID)
	dst = appendStringMember(dst, `,"agent_id":`, p.AgentID)
	dst = appendStringMember(dst, `,"resource":`, p.Resource)
	dst = appendIntMember(dst, `,"quantity":`, p.Quantity)
	dst = append(dst, `,"holds":`...)
	if p.Holds == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, h := range p.Holds {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendStringMember(dst, `{"bundle_id":`, h.BundleID)
			dst = append(appendIntMember(dst, `,"quantity":`, h.Quantity), '}')
		}
		dst = append(dst, ']')
	}
	dst, ok := appendJSONTime(append(dst, `,"expires_at":`...), p.ExpiresAt)
	return append(dst, '}'), ok
}

func appendReservationReleased(dst []byte, p *ReservationReleased) []byte {
	dst = appendStringMember(dst, `{"reservation_id":`, p.ReservationID)
	dst = appendStringMember(dst, `,"agent_id":`, p.AgentID)
	dst = appendStringMember(dst, `,"resource":`, p.Resource)
	dst = appendIntMember(dst, `,"reserved":`, p.Reserved)
	dst = appendIntMember(dst, `,"committed":`, p.Committed)
	dst = appendIntMember(dst, `,"returned":`, p.Returned)
	dst = appendStringMember(dst, `,"reason":`, p.Reason)
	return append(dst, '}')
}

// appendAgentID appends the JSON of AgentAwake and AgentDormant.
func appendAgentID(dst []byte, agent string) []byte {
	return append(appendStringMember(dst, `{"agent_id":`, agent), '}')
}

// appendWindow appends w, or reports false if its start is a time
// MarshalJSON refuses.
func appendWindow(dst []byte, w *Window) ([]byte, bool) {
	ok := true
	dst = append(dst, '{')
	if !w.Start.IsZero() {
		dst, ok = appendJSONTime(append(dst, `"start":`...), w.Start)
		dst = append(dst, ',')
	}
	dst = appendIntMember(dst, `"duration_seconds":`, w.DurationSeconds)
	return append(dst, '}'), ok
}

// appendJSONTime appends t as time.Time.MarshalJSON writes it (RFC 3339
// with nanoseconds, in t's own zone), or reports false where MarshalJSON
// fails: a year outside 0000-9999 or a zone offset of 24 hours or more.
func appendJSONTime(dst []byte, t time.Time) ([]byte, bool) {
	dst = append(dst, '"')
	n0 := len(dst)
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	// The checks of time.Time.appendStrictRFC3339.
	if dst[n0+len("9999")] != '-' {
		return dst, false
	}
	if dst[len(dst)-1] != 'Z' {
		h := dst[len(dst)-len("07:00"):]
		if c := dst[len(dst)-len("Z07:00")]; '0' <= c && c <= '9' || 10*(h[0]-'0')+(h[1]-'0') >= 24 {
			return dst, false
		}
	}
	return append(dst, '"'), true
}

// maxStackKeys is how many members of a map the writer sorts without
// allocating.
const maxStackKeys = 16

// member is a member of a JSON object written from a map.
type member[V any] struct {
	key string
	val V
}

// sortedMembers appends the members of m to buf, sorted by key as
// encoding/json sorts them, and returns them.
func sortedMembers[V any](buf []member[V], m map[string]V) []member[V] {
	for k, v := range m {
		buf = append(buf, member[V]{k, v})
	}
	if len(buf) > 1 {
		slices.SortFunc(buf, func(a, b member[V]) int { return strings.Compare(a.key, b.key) })
	}
	return buf
}

// appendQuantities appends q as an object with sorted keys, or null.
func appendQuantities(dst []byte, q Quantities) []byte {
	if q == nil {
		return append(dst, "null"...)
	}
	var buf [maxStackKeys]member[int64]
	dst = append(dst, '{')
	for i, m := range sortedMembers(buf[:0], q) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendInt(append(appendJSONString(dst, m.key), ':'), m.val, 10)
	}
	return append(dst, '}')
}

// appendDecimals appends d as an object with sorted keys, or null.
func appendDecimals(dst []byte, d map[string]Decimal) []byte {
	if d == nil {
		return append(dst, "null"...)
	}
	var buf [maxStackKeys]member[Decimal]
	dst = append(dst, '{')
	for i, m := range sortedMembers(buf[:0], d) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(append(appendJSONString(dst, m.key), ':'), string(m.val))
	}
	return append(dst, '}')
}

// appendStringMember appends key, the text before a string value (such as
// `,"name":`), and s.
func appendStringMember(dst []byte, key, s string) []byte {
	return appendJSONString(append(dst, key...), s)
}

// appendOmitEmpty appends key and s, unless s is empty: a member tagged
// omitempty.
func appendOmitEmpty(dst []byte, key, s string) []byte {
	if s == "" {
		return dst
	}
	return appendJSONString(append(dst, key...), s)
}

// appendIntMember appends key and n.
func appendIntMember(dst []byte, key string, n int64) []byte {
	return strconv.AppendInt(append(dst, key...), n, 10)
}

// appendUintMember appends key and n.
func appendUintMember(dst []byte, key string, n uint64) []byte {
	return strconv.AppendUint(append(dst, key...), n, 10)
}

// jsonSafe holds, for each byte, whether encoding/json writes it as itself
// in a string when it escapes HTML, as json.Marshal does: any ASCII byte but
// a control character, '"', '\\', '<', '>' and '&'. A byte of a multi-byte
// UTF-8 sequence is not safe: appendJSONString looks at its rune.
var jsonSafe = func() (safe [256]bool) {
	for c := byte(' '); c < utf8.RuneSelf; c++ {
		safe[c] = !strings.ContainsRune(`"\<>&`, rune(c))
	}
	return safe
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string exactly as json.Marshal writes
// it: '"' and '\\' escaped by a backslash, as are \b, \f, \n, \r and \t;
// the other control characters and '<', '>' and '&' as \u00XX; U+2028 and
// U+2029 as \u2028 and \u2029; each byte of invalid UTF-8 as \ufffd.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if jsonSafe[s[i]] {
			i++
			continue
		}
		if c := s[i]; c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(append(dst, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(append(dst, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(dst, s[start:]...), '"')
}
