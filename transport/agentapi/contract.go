package agentapi

// Command is the wire form of one verb, for tools that describe the
// command API (package contract generates its JSON Schemas and its AsyncAPI
// document from these): zero values of the types the request body and
// the reply's result decode from and encode as, by their json tags.
type Command struct {
	Verb Verb
	// Request is the body's type; every field without omitempty is
	// required, and no other field is accepted.
	Request any
	// Result is the type of the reply's result, nil for a verb whose
	// successful reply carries none.
	Result any
}

// Commands returns the wire form of every verb, in the order of Verbs.
func Commands() []Command {
	out := make([]Command, 0, len(Verbs))
	for _, v := range Verbs {
		cmd, _ := newCommand(v)
		var req any = cmd
		if e, ok := cmd.(*emptyCommand); ok {
			req = &e.emptyRequest
		}
		out = append(out, Command{Verb: v, Request: req, Result: resultOf(v)})
	}
	return out
}

// resultOf returns a zero value of the result type of verb, nil if its
// replies carry none.
func resultOf(v Verb) any {
	switch v {
	case VerbBalance:
		return balanceResult{}
	case VerbPrices:
		return pricesResult{}
	case VerbRelease:
		return releaseResult{}
	case VerbReserve:
		return reserveResult{}
	}
	return nil
}

// ErrorBody returns a zero value of the type of an error reply's error,
// {"code", "message", ...}.
func ErrorBody() any { return wireError{} }

// Codes returns every error code, CodeInternal last.
func Codes() []string {
	out := make([]string, 0, len(codes)+1)
	for _, c := range codes {
		out = append(out, c.code)
	}
	return append(out, CodeInternal)
}
