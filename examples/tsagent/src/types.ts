// The types of the agent API (requests, replies) and of the events the
// market publishes, all from the market's published contract: `npm run
// types` generates src/contract/ from contract/schemas/v1/ (one module per
// JSON Schema, see scripts/types.mjs), and this file only names and maps
// what it generated. Nothing here restates a schema: when the contract
// changes, regenerate src/contract/ and tsc says what no longer fits.
//
// What is left here is what the schemas cannot say in TypeScript: which
// verb takes which request, which event type carries which payload, and a
// few helper generics over them.

import type * as C from "./contract/index.js";

export type * from "./contract/index.js";

/**
 * A decimal amount as a string: "12.5" (no exponent, NaN or JSON number).
 * The schemas say so with a pattern, which TypeScript cannot express.
 */
export type Decimal = string;

/** Units per resource: {"cpu": 10, "tokens": 20000}. */
export type Quantities = C.BidRequest["quantities"];

/** A bundle's window: start (RFC 3339; absent if not yet fixed) and length. */
export type Window = C.BidPlaced["window"];

// ---------------------------------------------------------------- commands

/** The request bodies by verb. */
export interface Requests {
  open: C.OpenRequest;
  balance: C.BalanceRequest;
  prices: C.PricesRequest;
  bid: C.BidRequest;
  cancel: C.CancelRequest;
  use: C.UseRequest;
  report: C.ReportRequest;
  release: C.ReleaseRequest;
  reserve: C.ReserveRequest;
  commit: C.CommitRequest;
  cancel_reservation: C.CancelReservationRequest;
  transfer: C.TransferRequest;
  emit: C.EmitRequest;
  reward: C.RewardRequest;
}

/** The reply bodies by verb: {"result"}, {"error"}, or (a release pending payment) both. */
export interface Replies {
  open: C.OpenReply;
  balance: C.BalanceReply;
  prices: C.PricesReply;
  bid: C.BidReply;
  cancel: C.CancelReply;
  use: C.UseReply;
  report: C.ReportReply;
  release: C.ReleaseReply;
  reserve: C.ReserveReply;
  commit: C.CommitReply;
  cancel_reservation: C.CancelReservationReply;
  transfer: C.TransferReply;
  emit: C.EmitReply;
  reward: C.RewardReply;
}

export type Verb = keyof Requests & keyof Replies;

/** ResultOf is the result of reply type R, or undefined if its schema has none. */
export type ResultOf<R> = "result" extends keyof R ? NonNullable<R["result" & keyof R]> : undefined;

/** The results by verb (undefined for a verb whose reply has no result). */
export type Results = { [V in Verb]: ResultOf<Replies[V]> };

/** The result of balance. */
export type BalanceResult = NonNullable<C.BalanceReply["result"]>;

/** The result of prices: credits per unit per second. */
export type PricesResult = NonNullable<C.PricesReply["result"]>;

/** The result of release. */
export type ReleaseResult = NonNullable<C.ReleaseReply["result"]>;

/** The result of reserve. */
export type ReserveResult = NonNullable<C.ReserveReply["result"]>;

/** An error reply; every verb's schema has the same. */
export type WireError = NonNullable<Replies[Verb]["error"]>;

/** The stable codes of error replies (agentapi's Code constants). */
export type ErrorCode = WireError["code"];

/** The details of a denied or spend_limit reply. */
export type DeniedDetail = NonNullable<WireError["denied"]>;

// ------------------------------------------------------------------ events

/**
 * An event as it travels (CloudEvents 1.0, structured-mode JSON): the
 * generated envelope with data of type D. D defaults to object rather than
 * the envelope's {[k: string]: unknown}, so that every typed event (whose
 * payload interface has no index signature) is a CloudEvent too.
 */
export type CloudEvent<D extends object = object> = Omit<C.Envelope, "data"> & { data: D };

/** The event sources (the envelope's source attribute). */
export type Source = C.Envelope["source"];

/** The payloads of the event types of the taxonomy, by type. */
export interface EventPayloads {
  // market
  bid_placed: C.BidPlaced;
  bid_rejected: C.BidRejected;
  order_cancelled: C.OrderCancelled;
  resources_allocated: C.ResourcesAllocated;
  market_cleared: C.MarketCleared;
  price_update: C.PriceUpdate;
  snapshot_taken: C.SnapshotTaken;
  signing_key_announced: C.SigningKeyAnnounced;
  // ledger
  account_opened: C.AccountOpened;
  account_closed: C.AccountClosed;
  credits_transferred: C.CreditsTransferred;
  credits_minted: C.CreditsMinted;
  credits_burned: C.CreditsBurned;
  hold_placed: C.HoldPlaced;
  hold_captured: C.HoldCaptured;
  hold_released: C.HoldReleased;
  balance_queried: C.BalanceQueried;
  // scheduler
  bundle_scheduled: C.BundleScheduled;
  bundle_activated: C.BundleActivated;
  bundle_expired: C.BundleExpired;
  bundle_released: C.BundleReleased;
  usage_recorded: C.UsageRecorded;
  usage_reserved: C.UsageReserved;
  reservation_released: C.ReservationReleased;
  service_denied: C.ServiceDenied;
  spend_limit_reached: C.SpendLimitReached;
  agent_terminated: C.AgentTerminated;
  agent_awake: C.AgentAwake;
  agent_dormant: C.AgentDormant;
  // agent
  reasoning_trace: C.ReasoningTrace;
  tool_call_initiated: C.ToolCallInitiated;
  tool_call_completed: C.ToolCallCompleted;
  service_invoked: C.ServiceInvoked;
  // judge, benchmark
  judge_evaluation: C.JudgeEvaluation;
  human_reward_issued: C.HumanRewardIssued;
}

export type EventType = keyof EventPayloads;

/**
 * The agent event types of the taxonomy (those emit.request.json types
 * with if/then, which json-schema-to-typescript leaves out of EmitRequest).
 */
export type AgentEventType = "reasoning_trace" | "tool_call_initiated" | "tool_call_completed" | "service_invoked";

/**
 * What an agent emits as an event of type T: its payload, with agent_id
 * optional (the market fills it in; if present it must be the agent's).
 */
export type EmitData<T extends AgentEventType> = Omit<EventPayloads[T], "agent_id"> & { agent_id?: string };
