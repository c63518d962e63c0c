package gen

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// jsonSchemaDraft is the dialect of every schema: draft-07, which the
// AsyncAPI document's default schema format (a superset of it) and every
// maintained validator read.
const jsonSchemaDraft = "http://json-schema.org/draft-07/schema#"

// Patterns of the strings that carry numbers and times.
const (
	// decimalPattern is the canonical form of an events.Decimal: an
	// optional minus, digits, and a fractional part if any.
	decimalPattern = `^-?[0-9]+(\.[0-9]+)?$`
	// amountPattern is a request's amount: digits with at most one
	// decimal point among or around them, no sign or exponent. It must
	// also be above zero, which a pattern does not say.
	amountPattern = `^([0-9]+(\.[0-9]*)?|\.[0-9]+)$`
	// decimalMaxLength bounds both.
	decimalMaxLength = 64
)

// schema is a JSON Schema as a JSON object.
type schema = map[string]any

// enums are the named string types whose values the market fixes.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[events.CallStatus](): {string(events.StatusSucceeded), string(events.StatusFailed)},
	reflect.TypeFor[events.RejectReason](): {
		string(events.ReasonInsufficientBalance), string(events.ReasonInvalidBundle), string(events.ReasonExceedsCapacity),
		string(events.ReasonBelowReserve), string(events.ReasonSpendLimit), string(events.ReasonOutbid),
		string(events.ReasonExpired), string(events.ReasonSettlementFailed),
	},
}

var (
	decimalType   = reflect.TypeFor[events.Decimal]()
	timeType      = reflect.TypeFor[time.Time]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	byteSliceType = reflect.TypeFor[[]byte]()
)

// strictness says whether an object accepts members its type does not
// declare: a request does not (the server refuses them); an event's data
// and a reply do, so that a reader written against this contract keeps
// working when a later version adds a member.
type strictness bool

const (
	open   strictness = false
	closed strictness = true
)

// schemaOf returns the schema of the JSON that encoding/json writes for a
// value of type t, and that the library decodes into it. A field's
// `contract` tag refines a string: "decimal" (an events.Decimal's form),
// "amount" (a request's positive decimal), "date-time" (RFC 3339); on a map
// it applies to the values.
func schemaOf(t reflect.Type, s strictness) schema {
	return schemaWithFormat(t, "", s)
}

func schemaWithFormat(t reflect.Type, format string, s strictness) schema {
	switch {
	case t == decimalType:
		return stringSchema("decimal")
	case t == timeType:
		return stringSchema("date-time")
	case t == rawType:
		return schema{}
	case t == byteSliceType:
		return schema{"type": "string", "contentEncoding": "base64"}
	}
	if values, ok := enums[t]; ok {
		return schema{"type": "string", "enum": values}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaWithFormat(t.Elem(), format, s)
	case reflect.String:
		return stringSchema(format)
	case reflect.Bool:
		return schema{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return schema{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return schema{"type": "integer", "minimum": 0}
	case reflect.Slice, reflect.Array:
		return schema{"type": "array", "items": schemaWithFormat(t.Elem(), format, s)}
	case reflect.Map:
		return schema{"type": "object", "additionalProperties": schemaWithFormat(t.Elem(), format, s)}
	case reflect.Struct:
		return structSchema(t, s)
	case reflect.Interface:
		return schema{}
	}
	panic(fmt.Sprintf("contract: no schema for %v", t))
}

// stringSchema returns the schema of a string of the given contract format.
func stringSchema(format string) schema {
	switch format {
	case "decimal":
		return schema{"type": "string", "pattern": decimalPattern, "maxLength": decimalMaxLength}
	case "amount":
		return schema{"type": "string", "pattern": amountPattern, "maxLength": decimalMaxLength}
	case "date-time":
		return schema{"type": "string", "format": "date-time"}
	case "":
		return schema{"type": "string"}
	}
	panic(fmt.Sprintf("contract: unknown format %q", format))
}

// structSchema returns the schema of a struct as encoding/json writes it:
// its exported fields by their json names, those of embedded structs
// promoted, a field without omitempty or omitzero required.
func structSchema(t reflect.Type, s strictness) schema {
	props := schema{}
	var required []string
	addFields(t, s, props, &required)
	out := schema{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	if s == closed {
		out["additionalProperties"] = false
	}
	return out
}

// addFields adds the fields of t, and of the structs it embeds, to props
// and required.
func addFields(t reflect.Type, s strictness, props schema, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, hasTag := f.Tag.Lookup("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && !hasTag && f.Type.Kind() == reflect.Struct {
			addFields(f.Type, s, props, required)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaWithFormat(f.Type, f.Tag.Get("contract"), s)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}
