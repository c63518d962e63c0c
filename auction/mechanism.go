package auction

// Mechanism clears rounds of the call market.
//
// Clear must be pure and deterministic: the same round, on an equal
// calendar, gives the same result. It books the winners into r.Calendar and
// changes nothing else; it returns an error only for a malformed round
// (wrapping ErrInvalidRound), never for a bid, which it rejects instead. Its
// result must pass [Verify].
type Mechanism interface {
	Name() string
	Clear(r Round) (Result, error)
}
