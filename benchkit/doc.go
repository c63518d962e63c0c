// Package benchkit implements the benchmark runner of scarcity: it validates
// the behaviour of agents and of the market from the event stream alone, as
// an auditor would, without access to any service's memory. It collects a
// stream, decides scenarios over it and runs agents through them; its
// assertions plug into downstream test suites. Two packages stand beside
// it: benchkit/invariant checks the system's invariants over any stream,
// and benchkit/report measures a run and writes reports with charts.
//
// # Collecting a stream
//
// [Collect] reads from any events.Subscriber (a live tail or a replay from a
// sequence or a time) until a stated end; [ReadJSONL] and [WriteJSONL] read
// and write a stream as JSON lines (a malformed line is reported with its
// number, never a panic); [Filter] keeps one run's events.
//
// # Invariants
//
// [Check] checks every invariant of a stream (credits conserved, every
// allocation paid and every bid held, sequences without gaps, capacity,
// usage and spend within bounds, the hash chain intact): it is
// invariant.Check, at hand for the test of a market. [AssertInvariants] and
// [AssertInvariantsWith] report each violation through a testing.TB, naming
// the invariant and the event. Package benchkit/invariant documents each
// invariant and has a check for each.
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
// Package benchkit/report measures a run (efficiency, prices, utilisation,
// the Gini coefficient of balances, agents awake, spend) and writes a
// report as JSON or as one self-contained HTML page with charts; its
// verdict rows hold the invariants' verdicts and, built from a [Result],
// the scenarios'.
//
// Arithmetic is exact: apd decimals in a context that traps rounding, and
// fractions for means, so a value the model cannot hold exactly is
// reported, never rounded.
//
// # Concurrency
//
// The evaluations are pure functions of their input; they may run
// concurrently on the same stream. They never modify the events.
package benchkit
