// Package report measures a run of a market from its event stream and
// reports it, for people and for programs.
//
// [Metrics] measures a run exactly, as JSON-ready decimal strings:
// allocative efficiency per round and overall, each resource's price path
// and volatility, utilisation over time, the Gini coefficient of the agents'
// final balances, agents awake and dormant over time, and spend against its
// limit.
//
// A [Report] tells the story of a run: its [Settings] (mechanism, reserve
// rule, agents, duration, seed, transport, resources, spend limit, each
// agent's strategy), as the program that ran it says; its [Summary],
// computed from the stream (rounds, volume and prices per resource,
// revenue, efficiency per round, bids rejected, service denied,
// terminations, spend against its limit, survivors and credits per
// strategy, the Gini coefficient and Lorenz curve of final balances);
// verdicts; series over time; and a distribution. It is written as JSON
// ([Report.WriteJSON]) or as one self-contained HTML page
// ([Report.WriteHTML]: tables and SVG charts with ticks at 1-2-5 steps,
// axis titles with units, legends only where a chart has more than one
// series, utilisation as small multiples, values on hover as SVG titles; no
// script, nothing from the network). [FromRun] builds one from a stream
// and its settings, [FromStream] from a stream alone, both without
// verdicts; [InvariantVerdicts] gives a verdict row per invariant of
// package benchkit/invariant, and a caller adds the rows of its scenarios
// (from a benchkit.Result).
//
// No event says which strategy an agent follows: the program that ran the
// agents names them in Settings.Strategies, by account id.
//
// Times are the market's clock, as its events record them; with
// Settings.SimulatedClock the page says they are simulated time.
//
// Arithmetic is exact: apd decimals, and fractions for means, rounded half
// to even only where a ratio is written with MetricsOptions.Places decimal
// places.
//
// # Concurrency
//
// Metrics, FromStream, FromRun and InvariantVerdicts are pure functions
// of their input; they may run concurrently on the same stream. They never
// modify the events, and FromRun keeps a copy of its Settings.
package report
