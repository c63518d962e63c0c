package events

// BidPlaced records a bid accepted into the book. TotalCost is the most the
// agent will pay for the whole bundle; the credits are held until the bid
// clears, is rejected or is cancelled.
type BidPlaced struct {
	OrderID    string     `json:"order_id"`
	AgentID    string     `json:"agent_id"`
	Quantities Quantities `json:"quantities"`
	Window     Window     `json:"window"`
	TotalCost  Decimal    `json:"total_cost"`
	HoldID     string     `json:"hold_id"`
}

// BidRejected records a bid refused at placement or at clearing.
type BidRejected struct {
	OrderID string       `json:"order_id"`
	AgentID string       `json:"agent_id"`
	Reason  RejectReason `json:"reason"`
	Detail  string       `json:"detail,omitempty"`
}

// OrderCancelled records an order withdrawn by its agent before clearing.
type OrderCancelled struct {
	OrderID string `json:"order_id"`
	AgentID string `json:"agent_id"`
}

// MarketCleared summarises one clearing round. Volume is the quantity
// allocated per resource; Prices is the clearing price per resource (credits
// per unit per second); Surplus is the winners' value less their payments.
type MarketCleared struct {
	Round       uint64             `json:"round"`
	Mechanism   string             `json:"mechanism"`
	Bids        int                `json:"bids"`
	Winners     int                `json:"winners"`
	Volume      Quantities         `json:"volume"`
	Prices      map[string]Decimal `json:"clearing_prices"`
	Utilisation map[string]Decimal `json:"utilisation"`
	Revenue     Decimal            `json:"revenue"`
	Surplus     Decimal            `json:"surplus"`
	// Welfare is the realised total surplus (winners' limits less the
	// cost of what they won at the sellers' asks), OptimalWelfare the best
	// any feasible allocation reaches, and Efficiency their ratio, in
	// [0, 1]; each is empty where the mechanism does not compute it.
	Welfare        Decimal `json:"welfare,omitempty"`
	OptimalWelfare Decimal `json:"optimal_welfare,omitempty"`
	Efficiency     Decimal `json:"efficiency,omitempty"`
	// GreedyWelfare is the welfare of the Greedy allocation the mechanism
	// started from and improved on (improved, exact/vcg), so that Welfare
	// − GreedyWelfare is the round's gain over greedy clearing; empty
	// where the mechanism has no such start.
	GreedyWelfare Decimal `json:"greedy_welfare,omitempty"`
}

// ResourcesAllocated records a bundle won at clearing. Amount is the price
// of the whole bundle; PaymentID is the id of the ledger transfer (a hold
// capture) that pays for it: at most Amount when the bundle is leased.
type ResourcesAllocated struct {
	OrderID    string     `json:"order_id"`
	AgentID    string     `json:"agent_id"`
	BundleID   string     `json:"bundle_id"`
	Round      uint64     `json:"round"`
	Quantities Quantities `json:"quantities"`
	Window     Window     `json:"window"`
	Amount     Decimal    `json:"amount"`
	Bid        Decimal    `json:"bid"`
	PaymentID  string     `json:"payment_id"`
	// LeaseID is the ledger hold that pays for the bundle as its time
	// passes: captured under PaymentID when the bundle ends, in full at
	// expiry, pro rata for the time used if it ends early, the rest
	// released. Empty for an allocation paid at once.
	LeaseID string `json:"lease_id,omitempty"`
}

// PriceUpdate records a change of a resource's price, in credits per unit
// per second, with the utilisation (0 to 1) that moved it.
type PriceUpdate struct {
	Resource    string  `json:"resource"`
	Round       uint64  `json:"round"`
	Old         Decimal `json:"old"`
	New         Decimal `json:"new"`
	Utilisation Decimal `json:"utilisation"`
	Reason      string  `json:"reason"`
}

// EventType implements Payload.
func (BidPlaced) EventType() Type { return TypeBidPlaced }

// EventType implements Payload.
func (BidRejected) EventType() Type { return TypeBidRejected }

// EventType implements Payload.
func (OrderCancelled) EventType() Type { return TypeOrderCancelled }

// EventType implements Payload.
func (MarketCleared) EventType() Type { return TypeMarketCleared }

// EventType implements Payload.
func (ResourcesAllocated) EventType() Type { return TypeResourcesAllocated }

// EventType implements Payload.
func (PriceUpdate) EventType() Type { return TypePriceUpdate }

// EventType implements Payload.
func (SnapshotTaken) EventType() Type { return TypeSnapshotTaken }

// SnapshotTaken records that the market took a snapshot of its state:
// the snapshot holds the effect of every event up to this one, and hashes
// to StateHash. It binds the snapshot to the stream: a restore accepts a
// snapshot only if the chain it restores holds this event (scarcity:
// docs/decisions/0002-market-snapshots.md). The snapshot is stored after
// this event is; a snapshot_taken whose snapshot was never stored is not
// an error.
type SnapshotTaken struct {
	// Name is the snapshot's name in its store.
	Name string `json:"name"`
	// StateHash is the hash of the market's state in the snapshot.
	StateHash string `json:"state_hash"`
	// Sequences are the last sequences, by source, of the events the
	// snapshot holds the effect of, but the market's: this event's own.
	Sequences map[Source]uint64 `json:"sequences"`
}
