package events

// Source names the kind of service that emitted an event.
type Source string

// The sources of the taxonomy.
const (
	SourceMarket    Source = "market"
	SourceLedger    Source = "ledger"
	SourceScheduler Source = "scheduler"
	SourceAgent     Source = "agent"
	SourceJudge     Source = "judge"
	// SourceBenchmark stamps the events a benchmark runner injects into a
	// run, such as a scenario's injected events; they change no service's
	// state.
	SourceBenchmark Source = "benchmark"
)

// Type names what happened. The names are the benchmark's: a scenario's
// "type" field resolves against them.
type Type string

// Market events.
const (
	TypeBidPlaced          Type = "bid_placed"
	TypeAskPlaced          Type = "ask_placed"
	TypeBidRejected        Type = "bid_rejected"
	TypeOrderCancelled     Type = "order_cancelled"
	TypeOrderExpired       Type = "order_expired"
	TypeMarketCleared      Type = "market_cleared"
	TypeResourcesAllocated Type = "resources_allocated"
	TypePriceUpdate        Type = "price_update"
	TypeSnapshotTaken      Type = "snapshot_taken"
)

// Ledger events.
const (
	TypeAccountOpened      Type = "account_opened"
	TypeCreditsTransferred Type = "credits_transferred"
	TypeCreditsMinted      Type = "credits_minted"
	TypeCreditsBurned      Type = "credits_burned"
	TypeHoldPlaced         Type = "hold_placed"
	TypeHoldCaptured       Type = "hold_captured"
	TypeHoldReleased       Type = "hold_released"
	TypeBalanceQueried     Type = "balance_queried"
)

// Scheduler events.
const (
	TypeBundleScheduled   Type = "bundle_scheduled"
	TypeBundleActivated   Type = "bundle_activated"
	TypeBundleExpired     Type = "bundle_expired"
	TypeBundleReleased    Type = "bundle_released"
	TypeUsageRecorded     Type = "usage_recorded"
	TypeServiceDenied     Type = "service_denied"
	TypeAgentTerminated   Type = "agent_terminated"
	TypeSpendLimitReached Type = "spend_limit_reached"
	TypeAgentAwake        Type = "agent_awake"
	TypeAgentDormant      Type = "agent_dormant"
	// TypeUsageReserved and TypeReservationReleased bracket a reservation
	// (reserve → commit or cancel or lapse) for calls whose cost is known
	// only afterwards.
	TypeUsageReserved       Type = "usage_reserved"
	TypeReservationReleased Type = "reservation_released"
)

// Agent and judge events. Agents publish these themselves.
const (
	TypeReasoningTrace    Type = "reasoning_trace"
	TypeToolCallInitiated Type = "tool_call_initiated"
	TypeToolCallCompleted Type = "tool_call_completed"
	TypeServiceInvoked    Type = "service_invoked"
	TypeReflection        Type = "reflection"
	TypeHumanRewardIssued Type = "human_reward_issued"
	TypeJudgeEvaluation   Type = "judge_evaluation"
)

// RejectReason is the machine-readable reason of a bid_rejected event.
type RejectReason string

// The reasons a bid is rejected.
const (
	ReasonInsufficientBalance RejectReason = "insufficient_balance"
	ReasonInvalidBundle       RejectReason = "invalid_bundle"
	ReasonExceedsCapacity     RejectReason = "exceeds_capacity"
	ReasonBelowReserve        RejectReason = "below_reserve"
	ReasonSpendLimit          RejectReason = "spend_limit"
	ReasonOutbid              RejectReason = "outbid"
	ReasonExpired             RejectReason = "expired"
	// ReasonSettlementFailed marks a winning bid whose bundle could not be
	// scheduled or paid for when the round settled; its hold is released.
	ReasonSettlementFailed RejectReason = "settlement_failed"
)

// taxonomy holds every type of the taxonomy: the types this package names.
var taxonomy = map[Type]bool{
	TypeBidPlaced: true, TypeAskPlaced: true, TypeBidRejected: true, TypeOrderCancelled: true,
	TypeOrderExpired: true, TypeMarketCleared: true, TypeResourcesAllocated: true, TypePriceUpdate: true,

	TypeAccountOpened: true, TypeAccountClosed: true, TypeCreditsTransferred: true, TypeCreditsMinted: true,
	TypeCreditsBurned: true, TypeHoldPlaced: true, TypeHoldCaptured: true, TypeHoldReleased: true,
	TypeBalanceQueried: true,

	TypeBundleScheduled: true, TypeBundleActivated: true, TypeBundleExpired: true, TypeBundleReleased: true,
	TypeUsageRecorded: true, TypeServiceDenied: true, TypeAgentTerminated: true, TypeSpendLimitReached: true,
	TypeAgentAwake: true, TypeAgentDormant: true, TypeUsageReserved: true, TypeReservationReleased: true,

	TypeReasoningTrace: true, TypeToolCallInitiated: true, TypeToolCallCompleted: true,
	TypeServiceInvoked: true, TypeReflection: true, TypeHumanRewardIssued: true, TypeJudgeEvaluation: true,

	TypeSigningKeyAnnounced: true, TypeSnapshotTaken: true,
}

// InTaxonomy reports whether t is a type of the taxonomy: a market, ledger,
// scheduler, agent, human reward, judge or chain type this package names.
// Agents may publish types outside it that they define themselves (see
// [AgentEvent]); no such type may collide with one inside it.
func InTaxonomy(t Type) bool { return taxonomy[t] }
