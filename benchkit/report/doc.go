// Package report measures a run of a market from its event stream and
// reports it, for people and for programs.
//
// [Metrics] measures a run exactly, as JSON-ready decimal strings:
// allocative efficiency per round and overall, each resource's price path
// and volatility, utilisation over time, the Gini coefficient of the agents'
// final balances, agents awake and dormant over time, and spend against its
// limit.
//
// A [Report] holds verdicts, series over time and a distribution. It is
// written as JSON ([Report.WriteJSON]) or as one self-contained HTML page
// ([Report.WriteHTML]: SVG charts of prices and utilisation, a histogram of
// balances, the verdicts; no scripts, nothing from the network).
// [FromStream] builds one from a stream, without verdicts;
// [InvariantVerdicts] gives a verdict row per invariant of package
// benchkit/invariant, and a caller adds the rows of its scenarios (from a
// benchkit.Result).
//
// Arithmetic is exact: apd decimals, and fractions for means, rounded half
// to even only where a ratio is written with MetricsOptions.Places decimal
// places.
//
// # Concurrency
//
// Metrics, FromStream and InvariantVerdicts are pure functions of their
// input; they may run concurrently on the same stream. They never modify
// the events.
package report
