// Package ledger implements a double-entry credit ledger with exact decimal
// amounts: accounts, transfers, two-phase holds with timeouts and partial
// captures, linked batches, idempotent operations, mint and burn, account
// history, and replay from the ledger's own events, which a hash chain makes
// tamper-evident.
//
// # Accounts
//
// Every ledger has two system accounts, opened by [New]: the mint account
// ([MintAccount]), which issues credits and is the only account allowed to go
// negative, and the burn account ([BurnAccount]), which receives burned
// credits. Other accounts are opened by the caller with [Ledger.Open] or
// [Ledger.OpenWith]: agent, operator, escrow, or any user-defined kind
// matching [a-z][a-z0-9_]{0,31} (mint and burn stay the system accounts').
// An account opened without an overdraft limit — every account [Ledger.Open]
// opens — never goes below zero: neither its posted balance nor its
// available balance (posted minus pending, the credits held for later
// capture). One opened with [AccountOptions].OverdraftLimit may go down to
// minus that limit, and no further. System accounts only take part in
// [Ledger.Mint] (mint → account) and [Ledger.Burn] (account → burn).
// [Ledger.Close] closes an account whose posted and pending balances are
// zero; a closed account refuses every movement and hold
// ([ErrClosedAccount]) and its id is never reused.
//
// # Holds
//
// A hold ([Ledger.Hold]) sets credits of an account aside: they stay in its
// posted balance but leave its available one. A hold is captured in one go
// ([Ledger.Capture]: pay an amount, release the rest), or in several parts
// over time ([Ledger.CapturePartial], a metered lease that pays per tick)
// and then settled with a release of the remainder ([Ledger.Release]) or a
// final capture. A hold placed with [Ledger.HoldWithTimeout] has a deadline
// from the injected clock; [Ledger.Expire] releases, with reason
// [ReasonExpired], every open hold whose deadline has come, and
// [Ledger.NextExpiry] tells when to call it. The ledger runs no timer of its
// own: until Expire runs, a hold past its deadline is still open.
//
// # Batches
//
// [Ledger.Apply] performs a linked batch of operations ([TransferOp],
// [MintOp], [BurnOp], [HoldOp], [CaptureOp], [ReleaseOp]): each sees the
// effects of the ones before it, and either all apply and their events go
// out in one publish, or none does and a [*BatchError] names the operation
// that was rejected. Unless the ledger is Staged, the batch's events are
// one sealed group of its hash chain.
//
// # Queries
//
// [Ledger.Balance] and [Ledger.Balances] read balances; [Ledger.QueryBalance]
// also publishes balance_queried. [Ledger.History] pages through an
// account's movements and hold events, newest first, with an opaque cursor;
// [Ledger.Totals] sums the posted balances per account kind.
//
// # Invariants
//
//   - Credits are conserved: the sum of all posted balances, the mint
//     account's included, is exactly zero after every operation ([Ledger.Sum]).
//   - No account other than the mint has a posted or available balance below
//     its floor: zero, or minus its overdraft limit; so no hold exceeds the
//     balance (plus limit) that backs it.
//   - A closed account had zero posted and pending balances when it was
//     closed, and no movement or hold touches it afterwards.
//   - A capture never exceeds what its hold still holds, so what a hold's
//     captures add up to never exceeds what was held; its captures and its
//     release add up to exactly what was held.
//   - An operation is atomic: it is validated first, its events are published,
//     and only once the publisher has accepted them is the change applied. A
//     rejected operation or a failed publish changes nothing. A linked batch
//     is atomic in the same way, as a whole.
//   - Transfer ids and hold ids are unique per ledger. Retrying an operation
//     with the same id and the same fields returns nil with no second effect
//     and no event; the same id with different fields is
//     [ErrExistsWithDifferentFields]. The transfer id of a capture counts as a
//     transfer id.
//   - Replaying the ledger's events ([Restore]) rebuilds exactly the state that
//     produced them: the state of its published batches, never of a batch
//     stored only in part.
//
// # Amounts
//
// Amounts are exact apd decimals, positive, no finer than the ledger's scale
// and at most its maximum ([Ledger.ValidateAmount]). Every write computes in
// one apd.Context per ledger (34 digits) that traps Inexact and Rounded, so a
// result that would need rounding is an error ([ErrBalanceOverflow]), never a
// silent loss. Reads ([Ledger.Balance], [Ledger.Sum]) compute without
// rounding. Amounts are kept in their reduced form (no trailing zeros) and
// appear in events as [events.Decimal] strings of the exact values.
//
// # Limits
//
// Ids are at most [MaxIDLen] bytes, reasons at most [MaxReasonLen] bytes,
// single amounts at most Options.MaxAmount, and balances at most [Precision]
// significant digits; beyond them an operation is rejected. The ledger keeps
// every transfer id and hold id it has seen, for the idempotency of retries,
// for its whole life: memory grows with the number of operations. It keeps
// the last Options.MaxHistory history entries of each account (1,000 by
// default) and drops older ones. A batch holds at most [MaxBatchOps]
// operations, a history page at most [MaxHistoryLimit] entries.
//
// # Restore
//
// [Restore] re-enacts a stream of ledger events through the same code that
// produced them and checks that each event it would emit equals the one in
// the stream, balances included (its chain attributes aside). A stream that
// does not rebuild exactly is [ErrRestore]. The deadlines of holds
// travel in hold_placed, so a replayed ledger expires the same holds; the
// events of a batch replay one by one into the same state; histories are
// rebuilt as they were. Only trusted events are re-enacted (see below); a
// replayed ledger numbers its events after every event of its stream, void
// ones included, so that it never reuses an event id.
//
// # Tamper evidence
//
// A ledger used on its own links every event it publishes into a hash
// chain ([events.Chain]): each event's Hash is the SHA-256 of the previous
// event's Hash and of the event's canonical encoding, and each batch it
// publishes is one group whose last event is sealed. [Restore] verifies the
// chain of the stream's events of its correlation, every source's
// ([events.Verify]), so that an event changed, dropped, inserted,
// duplicated or moved is [ErrRestore] wrapping the
// [*events.ChainError] ([events.ErrTampered]) that names the first bad
// event. The events of a group cut short (a batch stored only in part, after
// a publish in doubt) are void: never applied, so the ledger replays to the
// state before that batch. A stream with no chain at all, written
// elsewhere, is replayed unverified, and the ledger then starts a chain of
// its own. [Ledger.LastHash] is the head of the chain: the Hash of the last
// event, which the next links to.
//
// Inside a market ([Options].Staged) the ledger's publisher stages its
// events for the market, whose chain covers every event it writes, market
// and scheduler events included: the ledger does not chain its events
// (LastHash is empty), and Restore takes the events it is given as the
// trusted events of a stream the market verified.
//
// # Snapshots
//
// [Ledger.StateHash] hashes the balances, holds and transfer ids in sorted
// order, and [Ledger.Snapshot] records the state with it, the last sequence
// and LastHash, so that [RestoreFrom] rebuilds a ledger from a snapshot and
// the events after it: it checks the state against its StateHash and, unless
// Staged, that the events after the snapshot link to its LastHash.
//
// # Events
//
// Every state change publishes ledger events (source "ledger") through the
// configured [events.Publisher]: account_opened, account_closed, credits_minted,
// credits_transferred, credits_burned, hold_placed, hold_captured and
// hold_released; [Ledger.QueryBalance] publishes balance_queried. An event's
// subject is the account it is about: the source account of a movement, the
// receiving account of a mint. Balances in events are the posted balances
// after the change and Pending is the account's total held amount after it.
//
// # Concurrency
//
// A Ledger is safe for concurrent use. It is a single-writer core: one mutex
// serialises every change, and events are published while it is held, so the
// order of the events is the order in which changes are applied. A slow
// publisher therefore slows every writer. Expire publishes the releases of
// all the holds due in one batch.
//
// # Performance
//
// A transfer makes three allocations: one string that holds its event's id
// and decimals, its payload, and its chain hash. The decimals a write
// computes come from a slab, an amount written as the previous one was is
// that one, and balances of up to 19 digits add in machine integers, with
// exactly the result of the ledger's apd.Context. The chain hashes the
// ledger's payloads in a compact binary encoding, not their JSON. The
// ledger reuses one event batch for every write (so a publisher must not
// keep the slice it is given, as [events.Publisher] says). Idempotency
// records come in chunks, found through a map from a 64-bit hash of the
// transfer id to a record, which holds no pointers for the garbage
// collector to scan; ids whose hashes collide are kept apart. [Restore]
// sizes that map from the stream, parses amounts without allocating and,
// where the event the ledger rebuilds is the stream's byte for byte,
// publishes the stream's payload rather than a copy; every event is still
// verified in the chain, rebuilt and compared. BenchmarkTransfer and
// BenchmarkReplay measure the hot paths against naive baselines in the same
// file.
package ledger
