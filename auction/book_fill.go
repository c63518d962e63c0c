package auction

// Fill is one trade between an order resting in a [Book], the maker, and
// an incoming order, the taker. It is always at the maker's price.
type Fill struct {
	// MakerID and MakerAgent identify the resting order.
	MakerID, MakerAgent string
	// TakerID and TakerAgent identify the incoming order.
	TakerID, TakerAgent string
	// TakerSide is the incoming order's side: Buy when the taker bought.
	TakerSide Side
	// Price is the maker's price, in ticks per lot per second.
	Price int64
	// Qty is the quantity traded, in lots.
	Qty int64
}
