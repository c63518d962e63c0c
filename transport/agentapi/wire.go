package agentapi

// The JSON bodies of requests and replies. Every request is one JSON object
// whose keys are exactly the json names below (no others, none twice, none
// null); the acting agent is never a field: it is the <agent> token of the
// subject. A `contract` tag tells package contract's schema generator what
// a string holds: "amount" (a positive decimal), "decimal" (a decimal in
// its canonical form) or "date-time" (RFC 3339).

// emptyRequest is the body of open, balance and prices: {}.
type emptyRequest struct{}

// bidRequest is the body of bid.
type bidRequest struct {
	ID         string           `json:"id"`
	Quantities map[string]int64 `json:"quantities"`
	// Start is RFC 3339 with optional fractional seconds; absent means as
	// soon as the next round clears.
	Start           string `json:"start,omitempty" contract:"date-time"`
	DurationSeconds int64  `json:"duration_seconds"`
	// Limit is a positive decimal string such as "12.5".
	Limit string `json:"limit" contract:"amount"`
}

// cancelRequest is the body of cancel.
type cancelRequest struct {
	OrderID string `json:"order_id"`
}

// useRequest is the body of use.
type useRequest struct {
	Resource string `json:"resource"`
	Quantity int64  `json:"quantity"`
}

// reportRequest is the body of report.
type reportRequest struct {
	Resource string `json:"resource"`
	Level    int64  `json:"level"`
}

// releaseRequest is the body of release.
type releaseRequest struct {
	BundleID string `json:"bundle_id"`
}

// reserveRequest is the body of reserve.
type reserveRequest struct {
	Resource  string `json:"resource"`
	WorstCase int64  `json:"worst_case"`
	TTLMillis int64  `json:"ttl_ms"`
}

// commitRequest is the body of commit.
type commitRequest struct {
	ReservationID string `json:"reservation_id"`
	Actual        int64  `json:"actual"`
}

// cancelReservationRequest is the body of cancel_reservation.
type cancelReservationRequest struct {
	ReservationID string `json:"reservation_id"`
}

// transferRequest is the body of transfer; the payer is the subject's agent.
type transferRequest struct {
	ID     string `json:"id"`
	To     string `json:"to"`
	Amount string `json:"amount" contract:"amount"`
}

// response is the body of every reply: an error, a result, or (for a
// release whose payment is pending) both.
type response struct {
	Error  *wireError `json:"error,omitempty"`
	Result any        `json:"result,omitempty"`
}

// wireError is an error reply.
type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// OrderID and Reason detail a rejected bid.
	OrderID string `json:"order_id,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Denied details a denied or spend_limit request.
	Denied *deniedDetail `json:"denied,omitempty"`
}

// deniedDetail carries the fields of sched.DeniedError and
// sched.SpendLimitError.
type deniedDetail struct {
	Agent     string `json:"agent"`
	Resource  string `json:"resource"`
	Requested int64  `json:"requested"`
	Available int64  `json:"available,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Spent     int64  `json:"spent,omitempty"`
	Reserved  int64  `json:"reserved,omitempty"`
	Limit     int64  `json:"limit,omitempty"`
	WindowMS  int64  `json:"window_ms,omitempty"`
	FreesAt   string `json:"frees_at,omitempty" contract:"date-time"`
}

// balanceResult is the result of balance; amounts are decimal strings.
type balanceResult struct {
	Posted         string `json:"posted" contract:"decimal"`
	Pending        string `json:"pending" contract:"decimal"`
	Available      string `json:"available" contract:"decimal"`
	Kind           string `json:"kind"`
	AllowNegative  bool   `json:"allow_negative,omitempty"`
	OverdraftLimit string `json:"overdraft_limit,omitempty" contract:"decimal"`
	Closed         bool   `json:"closed,omitempty"`
}

// pricesResult is the result of prices: credits per unit per second.
type pricesResult struct {
	Prices map[string]string `json:"prices" contract:"decimal"`
}

// releaseResult is the result of release.
type releaseResult struct {
	Unused int64 `json:"unused"`
	Total  int64 `json:"total"`
}

// reserveResult is the result of reserve.
type reserveResult struct {
	ReservationID string `json:"reservation_id"`
}
