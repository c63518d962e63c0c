// Package faultinject implements an events.Publisher that wraps another one
// and injects transport faults, driven by a seed: every random choice comes
// from one math/rand/v2 PCG source, so a seed and the same sequence of
// Publish calls reproduce a run exactly.
//
// # Fault model
//
// Each Publish call draws one number in [0, Scale) and, by the rates of
// [Faults] (per ten thousand calls, laid end to end), does one of:
//
//   - FailBefore: nothing is published; the call fails. The caller's
//     contract (events.Publisher) then holds exactly: nothing was accepted.
//   - FailAfter: every event is published, then the call fails, as when a
//     server stores a batch and its acknowledgement is lost. The caller
//     cannot tell this from FailBefore except by reading the stream.
//   - FailPartway: a non-empty proper prefix of the events is published,
//     then the call fails, as a pipelined publish that breaks off does
//     (natstransport documents it). A batch of one event is published whole.
//   - Duplicate: the events are published, then published again; a
//     conforming transport deduplicates the second publish by event id. The
//     call succeeds if the first publish did.
//   - otherwise the call passes through unchanged.
//
// The error of an injected failure is an *[Error] (errors.Is
// [ErrInjected]) that says which fault it was and how many events were
// stored. An error of the wrapped publisher is returned as it is.
//
// Delays and reordering are not injected. A Publish call is synchronous
// and returns only once its events are accepted, so the events of one
// caller's successive calls can never be stored out of call order, and the
// events within a call must stay in order (the per-source sequence
// contract). A delay would only change the interleaving of concurrent
// callers, which on a single-writer market (one lock over its publishes)
// is already fixed by the lock; without real time in tests there is
// nothing else for a delay to change.
//
// # Concurrency
//
// A Publisher is safe for concurrent use; its random source is guarded by
// a mutex, so concurrent callers reproduce a run only if their calls come
// in the same order.
package faultinject
