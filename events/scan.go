package events

import (
	"strings"
	"unicode/utf8"
)

// This file holds the fast path of Decode: a single pass over the bytes of
// an encoded event that fills a wireEvent without reflection. It handles the
// plain form that Encode writes, and more, but it gives up on anything
// unusual (an escaped string, a null attribute, a key with a capital letter,
// a value of the wrong kind, bad JSON); Decode then falls back to
// encoding/json, which decides. So scanWire never has to reproduce an error
// of encoding/json, only its result on what it accepts.

// maxScanDepth bounds the nesting of JSON values the scanner follows before
// it gives up. encoding/json allows deeper nesting; the fallback handles it.
const maxScanDepth = 512

// attr numbers the string attributes of wireEvent, in the order of
// wireEvent.strings.
type attr int

const (
	attrSpecVersion attr = iota
	attrID
	attrSource
	attrType
	attrSubject
	attrTime
	attrDataContentType
	attrDataSchema
	attrSequence
	attrCorrelation
	attrCausation
	attrTraceParent
	attrChainHash
	attrChainSignature
	numStringAttrs // the attributes above are strings
	attrSchemaVersion
	attrChainSeal
	attrData
	attrUnknown
)

// attrOf returns the attribute named key, or attrUnknown.
func attrOf(key []byte) attr {
	switch string(key) {
	case "specversion":
		return attrSpecVersion
	case "id":
		return attrID
	case "source":
		return attrSource
	case "type":
		return attrType
	case "subject":
		return attrSubject
	case "time":
		return attrTime
	case "datacontenttype":
		return attrDataContentType
	case "dataschema":
		return attrDataSchema
	case "sequence":
		return attrSequence
	case "correlationid":
		return attrCorrelation
	case "causationid":
		return attrCausation
	case "traceparent":
		return attrTraceParent
	case "chainhash":
		return attrChainHash
	case "chainsig":
		return attrChainSignature
	case "chainseal":
		return attrChainSeal
	case "schemaversion":
		return attrSchemaVersion
	case "data":
		return attrData
	}
	return attrUnknown
}

// plainKey reports whether key, as it appears between its quotes, is ASCII
// without escapes or capital letters. encoding/json matches a key to a
// field name case-insensitively, with Unicode case folding, so such a key
// matches one of the lowercase names of wireEvent or of a payload only if
// it equals it.
func plainKey(key []byte) bool {
	for _, c := range key {
		if c == '\\' || c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// strings returns pointers to the string attributes of w, indexed by attr.
func (w *wireEvent) strings() [numStringAttrs]*string {
	return [numStringAttrs]*string{
		attrSpecVersion:     &w.SpecVersion,
		attrID:              &w.ID,
		attrSource:          (*string)(&w.Source),
		attrType:            (*string)(&w.Type),
		attrSubject:         &w.Subject,
		attrTime:            &w.Time,
		attrDataContentType: &w.DataContentType,
		attrDataSchema:      &w.DataSchema,
		attrSequence:        &w.Sequence,
		attrCorrelation:     &w.Correlation,
		attrCausation:       &w.Causation,
		attrTraceParent:     &w.TraceParent,
		attrChainHash:       &w.ChainHash,
		attrChainSignature:  &w.ChainSignature,
	}
}

// scanWire fills w from the JSON object b and reports true, or reports
// false if b is anything it does not handle. When it reports true, w is
// exactly what json.Unmarshal(b, w) makes of a zero w, and that call would
// succeed. w.Data then shares memory with b.
func scanWire(b []byte, w *wireEvent) bool {
	var vals [numStringAttrs][]byte // nil: absent
	s := scanner{b: b}
	if !s.object(func(key []byte) bool { return s.attr(key, w, &vals) }) {
		return false
	}
	s.space()
	if s.i != len(b) {
		return false
	}
	setStrings(w, &vals)
	return true
}

// setStrings sets the string attributes of w to vals, copying them all into
// a single allocation.
func setStrings(w *wireEvent, vals *[numStringAttrs][]byte) {
	n := 0
	for _, v := range vals {
		n += len(v)
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, v := range vals {
		sb.Write(v)
	}
	all := sb.String()
	for a, p := range w.strings() {
		if v := vals[a]; v != nil {
			*p, all = all[:len(v)], all[len(v):]
		}
	}
}

// scanner reads JSON from b, from offset i on.
type scanner struct {
	b []byte
	i int
}

// attr reads the value of the member named key of the event object into w,
// or into vals for a string attribute.
func (s *scanner) attr(key []byte, w *wireEvent, vals *[numStringAttrs][]byte) bool {
	if !plainKey(key) {
		return false
	}
	a := attrOf(key)
	switch {
	case a < numStringAttrs:
		v, ok := s.plainString()
		vals[a] = v
		return ok
	case a == attrSchemaVersion:
		n, ok := s.smallInt()
		w.SchemaVersion = n
		return ok
	case a == attrChainSeal:
		v, ok := s.boolean()
		w.ChainSeal = v
		return ok
	case a == attrData:
		start := s.i
		if !s.value(0) {
			return false
		}
		w.Data = s.b[start:s.i]
		return true
	}
	return s.value(0)
}

// boolean reads a JSON true or false.
func (s *scanner) boolean() (v, ok bool) {
	s.space()
	for _, lit := range [...]string{"false", "true"} {
		if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
			s.i += len(lit)
			return lit == "true", true
		}
	}
	return false, false
}

// space skips JSON whitespace.
func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips whitespace and reports whether the next byte is c, consuming
// it if so.
func (s *scanner) next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// object reads an object, calling member for each member with the key as
// it appears between its quotes, once the scanner is at the member's value.
func (s *scanner) object(member func(key []byte) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	for {
		s.space()
		key, ok := s.string()
		if !ok || !s.next(':') {
			return false
		}
		s.space()
		if !member(key) {
			return false
		}
		if s.next('}') {
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

// plainString reads a string that has no escapes and is valid UTF-8, and
// returns its contents, which encoding/json would decode to the same bytes.
func (s *scanner) plainString() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	ascii := true
	for i := start; i < len(s.b); i++ {
		switch c := s.b[i]; {
		case c == '"':
			v := s.b[start:i]
			s.i = i + 1
			return v, ascii || utf8.Valid(v)
		case c == '\\' || c < ' ':
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// smallInt reads an integer of at most 9 digits, which fits an int on any
// platform.
func (s *scanner) smallInt() (int, bool) {
	start := s.i
	if !s.number() {
		return 0, false
	}
	v := s.b[start:s.i]
	neg := v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false // a fraction or an exponent
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// value reads any JSON value nested depth deep, checking its syntax as
// encoding/json does.
func (s *scanner) value(depth int) bool {
	if s.i >= len(s.b) || depth > maxScanDepth {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(func([]byte) bool { return s.value(depth + 1) })
	case c == '[':
		return s.array(depth)
	case c == '"':
		_, ok := s.string()
		return ok
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return s.literal("true") || s.literal("false") || s.literal("null")
}

// array reads an array nested depth deep.
func (s *scanner) array(depth int) bool {
	s.i++ // '['
	if s.next(']') {
		return true
	}
	for {
		s.space()
		if !s.value(depth + 1) {
			return false
		}
		if s.next(']') {
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

// literal reads the literal lit if it comes next.
func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// string reads any string, with escapes, and returns it as it appears
// between its quotes. Its bytes need not be valid UTF-8.
func (s *scanner) string() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	for i := start; i < len(s.b); i++ {
		switch c := s.b[i]; {
		case c == '"':
			s.i = i + 1
			return s.b[start:i], true
		case c < ' ':
			return nil, false
		case c == '\\':
			n := escapeLen(s.b[i+1:])
			if n == 0 {
				return nil, false
			}
			i += n
		}
	}
	return nil, false
}

// escapeLen returns the length of the escape sequence that b starts with,
// after its backslash, or 0 if it is not one.
func escapeLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	switch b[0] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 1
	case 'u':
		if len(b) < 5 {
			return 0
		}
		for _, c := range b[1:5] {
			if !isHex(c) {
				return 0
			}
		}
		return 5
	}
	return 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number reads a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i >= len(s.b):
		return false
	case s.b[s.i] == '0':
		s.i++
	case !s.digits():
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits reads one or more decimal digits.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
