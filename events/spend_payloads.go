package events

import "time"

// SpendLimitReached records a request for LLM spend refused because it
// would take the spend metered system-wide in the sliding window past the
// limit. Nothing was consumed or reserved.
//
// Quantities are integer units of Resource; Unit is the price of one unit
// in credits, so Limit × Unit is the configured limit in credits. Spent is
// the spend committed in the window ending now and Reserved the spend held
// by outstanding reservations. FreesAt, when not zero, is the earliest
// instant at which the request would fit if nothing else were spent or
// reserved meanwhile; it is zero when the window alone cannot free enough,
// because outstanding reservations or the request itself are too large.
type SpendLimitReached struct {
	AgentID       string    `json:"agent_id"`
	Resource      string    `json:"resource"`
	Requested     int64     `json:"requested"`
	Spent         int64     `json:"spent"`
	Reserved      int64     `json:"reserved"`
	Limit         int64     `json:"limit"`
	Unit          Decimal   `json:"unit"`
	WindowSeconds Decimal   `json:"window_seconds"`
	FreesAt       time.Time `json:"frees_at,omitzero"`
}

// ReservedHold is the part of a reservation held in one bundle.
type ReservedHold struct {
	BundleID string `json:"bundle_id"`
	Quantity int64  `json:"quantity"`
}

// UsageReserved records a quantity of a service-level resource set aside
// for a call whose cost is known only afterwards. The holds are taken from
// the agent's bundles, earliest-ending first, and count as used in them
// until the reservation is released; a reservation of LLM spend also holds
// its quantity in the system-wide spend window. ExpiresAt is when the
// reservation lapses if it is not committed.
type UsageReserved struct {
	ReservationID string         `json:"reservation_id"`
	AgentID       string         `json:"agent_id"`
	Resource      string         `json:"resource"`
	Quantity      int64          `json:"quantity"`
	Holds         []ReservedHold `json:"holds"`
	ExpiresAt     time.Time      `json:"expires_at"`
}

// ReservationReleased records the end of a reservation: Committed units
// were consumed (each recorded by a usage_recorded event in the same batch)
// and Returned units went back to the bundles, and to the spend window,
// they were held from. Reason is "committed", "cancelled" or "lapsed".
type ReservationReleased struct {
	ReservationID string `json:"reservation_id"`
	AgentID       string `json:"agent_id"`
	Resource      string `json:"resource"`
	Reserved      int64  `json:"reserved"`
	Committed     int64  `json:"committed"`
	Returned      int64  `json:"returned"`
	Reason        string `json:"reason"`
}

// EventType implements Payload.
func (SpendLimitReached) EventType() Type { return TypeSpendLimitReached }

// EventType implements Payload.
func (UsageReserved) EventType() Type { return TypeUsageReserved }

// EventType implements Payload.
func (ReservationReleased) EventType() Type { return TypeReservationReleased }
