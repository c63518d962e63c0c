// Package benchkit implements the benchmark runner of scarcity: it validates
// the behaviour of agents and of the market from the event stream alone, as
// an auditor would, without access to any service's memory. It collects a
// stream, checks the system's invariants over it, decides scenarios,
// measures the market and writes reports; its assertions plug into
// downstream test suites.
//
// # Collecting a stream
//
// [Collect] reads from any events.Subscriber (a live tail or a replay from a
// sequence or a time) until a stated end; [ReadJSONL] and [WriteJSONL] read
// and write a stream as JSON lines (a malformed line is reported with its
// number, never a panic); [Filter] keeps one run's events.
//
// # Invariant checks
//
// Each check replays a stream in order and reports every event that breaks
// its invariant as a [*Violation] naming the check:
//
//   - credits_conserved ([CheckConservation]): replaying the ledger's events
//     on a model of posted balances and pending holds, every account is opened
//     before it is used, every amount is a positive decimal, the balances an
//     event reports are the model's, the sum of all posted balances is exactly
//     zero, no account opened without allow_negative goes below zero or holds
//     more than it has, and a hold is closed at most once: each capture takes
//     at most what the hold still holds, partial captures (remaining above
//     zero) keep it open, and it closes by a capture whose amount, release
//     and remainder add up to what it held, or by a release of all it holds;
//     no hold id is placed twice in a run.
//   - allocations_paid ([CheckAllocationsPaid]): every resources_allocated is
//     paid by one hold_captured or credits_transferred of exactly its amount
//     whose transfer id is its payment id (a leased one: by its lease hold
//     of its amount, held until its bundle ends, and a payment of at most
//     that once the bundle ends), no payment pays two allocations, and no
//     agent pays more than its bid; where the run carries bids, every
//     allocation is of a bid_placed of its agent, and no bid is allocated
//     twice; where it carries market events, every bundle_scheduled is
//     allocated by a resources_allocated of its bundle_id.
//   - bids_held ([CheckBidsHeld]): every bid_placed names a hold of its own,
//     open when the bid is placed, on its agent's account, of exactly its
//     total_cost; the ledger's hold_placed comes before the bid, or after it
//     within the same command (before the market's next event).
//   - sequences_gap_free ([CheckSequences]): each source's events of one
//     correlation are numbered 1, 2, 3, … with no gap and no repeat.
//   - ids_unique and causation_resolves ([CheckIdentities]): no two events
//     share an id, and every causation names an earlier event.
//   - capacity_respected ([CheckCapacity]): no booking exceeds a resource's
//     capacity at any instant of its window from the moment it is booked.
//   - usage_within_bundles ([CheckUsage]): usage of a consumed resource
//     stays within its bundle's quantity, and a sample above its envelope is
//     followed by agent_terminated.
//   - spend_within_limit ([CheckSpend]): the spend recorded in any sliding
//     window stays within the limit, and every spend_limit_reached agrees
//     with the stream.
//
// [Check] runs them all; [CheckWith] runs them with [Options], which supply
// what the stream does not carry (capacities, which resources are OS-level
// samples, the spend limit); [Unchecked] says which checks could not run.
// [AssertInvariants] and [AssertInvariantsWith] report violations through a
// testing.TB; [InvariantVerdicts] gives one report row per invariant. A
// violation names its event, and where a reported value differs from the
// replay it carries a "(-want +got)" diff. Ledger state is kept per
// correlation, so a stream may hold several runs. From 16,384 events up the
// checks run concurrently, one goroutine each.
//
// # Scenarios
//
// A [Scenario] is a benchmark task — initial state, injected events and a
// validation block — loaded from the benchmark's JSON with [LoadScenario] or
// built in Go. Both layouts of the format load: the validation block, and
// the older flat layout (id, name, category, required_resources and
// validation_criteria, mapped onto the same rules: see [LogMatch] and
// [RequiredResources]). Authors' synonyms are accepted (threshold for
// pass_threshold, criterion for criteria, tokens_used for tokens in
// resource_consumption); a key the format does not define is kept, or with
// [LoadOptions].Strict refused with a suggestion.
//
// [Scenario.Evaluate] decides a scenario from a stream alone, scoped by
// [EvalOptions] to one correlation and, optionally, one agent. Each [Rule]
// (required_event_sequence, required_events, forbidden_events,
// ordering_constraints, resource_consumption, log_match) returns Pass, Fail
// or NotEvaluated with a reason and the events that decided it. Judge rules
// (judge_evaluation, and any key whose object's type is llm_judge, such as
// output_quality) are scored by a [Judge] — in Go, or an external program
// ([ProgramJudge]) — or, without one, by the judge_evaluation events on the
// stream. Other kinds go to [Evaluators] and are NotEvaluated without one.
// A resource limit on a resource the market does not have is NotEvaluated,
// never summed as zero.
//
// The success condition combines named outcomes in three-valued logic, and
// rules it does not mention must pass as well. Names that are not this
// package's outcomes ("change_applied", "within_budget") are bound to a
// rule or a step by a documented rule ([Scenario.Bindings]); a name bound to
// nothing is unknown, never false. Nothing passes vacuously: an empty run
// fails, and a run whose rules are all unevaluated is not evaluated.
// [Result.Gaps] lists the event types a scenario relies on that no system
// source emits. [AssertScenario] reports a failure for a test suite.
//
// # The older layout
//
// The older layout of the format puts everything at the top level: id,
// name, category (the domain), difficulty (kept in Extra),
// required_resources ([RequiredResources]) and validation_criteria, a list
// of typed criteria, read onto the same rules as the validation block:
//
//	{"type": "log_match", "pattern": P}              log_match ([LogMatch]): an event of the run
//	                                                 whose type, or a string anywhere in its data,
//	                                                 matches the regular expression P (RE2 syntax)
//	{"type": "event_present", "event_type": T, ...}  a step of required_events (also "event_occurred",
//	                                                 "required_event"; other keys are field filters)
//	{"type": "event_absent", "event_type": T, ...}   a step of forbidden_events (also "forbidden_event")
//	{"type": "resource_limit", "resource": R, "max": N}
//	                                                 a limit of resource_consumption: R at most N
//	any other type                                   an ExternalRule of that kind (an error with
//	                                                 LoadOptions.Strict unless it is one of Kinds)
//
// Every criterion must hold: the layout has no success condition. Against
// a scarcity stream a log line is an event: agents write theirs with Emit
// (reasoning_trace, their own event types), so log_match "active" holds
// when an event about the agent, or about no agent in particular, has a
// string that contains "active" — "inactive" too, as regular expressions
// match; write `\bactive\b` for the word alone.
//
// [RunScenario] runs an agent in a market built from the scenario's initial
// state, fires its injected events (a rejection or a cancellation is made
// real in the market) and decides the run.
//
// # Metrics and reports
//
// [Metrics] measures a run exactly, as JSON-ready decimal strings:
// allocative efficiency per round and overall, each resource's price path
// and volatility, utilisation over time, the Gini coefficient of the agents'
// final balances, agents awake and dormant over time, and spend against its
// limit. A [Report] is written as JSON or as one self-contained HTML page
// (SVG charts of prices and utilisation, a histogram of balances, the
// verdicts; no scripts, nothing from the network); [ReportFromStream]
// builds one from a stream.
//
// Arithmetic is exact: apd decimals in a context that traps rounding, and
// fractions for means, so a value the model cannot hold exactly is
// reported, never rounded.
//
// # Concurrency
//
// The checks and evaluations are pure functions of their input; they may
// run concurrently on the same stream. They never modify the events.
package benchkit
