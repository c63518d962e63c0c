// Package faultinject implements an events.Publisher that wraps another one
// and injects transport faults, driven by a seed: every random choice comes
// from one math/rand/v2 PCG source, so a seed and the same sequence of
// calls reproduce a run exactly.
//
// # Fault model
//
// Each publishing call draws one number in [0, Scale) and, by the rates of
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
//   - Full: nothing is published and the call fails with an error wrapping
//     events.ErrFull, as a stream at its limit refuses a write: a definite
//     refusal, not in doubt.
//   - Late: nothing is published now and the call fails in doubt; its
//     events are delivered later, around one of the calls that follow
//     (before it, after it, or later still; Flush delivers what is left),
//     exactly as the call would have stored them. That needs a wrapped
//     publisher that is a [LateWriter]: on a stream that checks every write
//     against its last sequence (JetStream's expected last sequence), a
//     late delivery is stored only if nothing was written since the call,
//     and refused otherwise. On a stream without that check (an
//     events.Log) a late delivery would land anywhere: a corrupt stream, not
//     a fault a writer can be asked to survive, so New refuses Late faults
//     over a publisher that is not a LateWriter.
//   - otherwise the call passes through unchanged.
//
// A Publisher is an events.TailReader: ReadAll reads the wrapped
// publisher's stream back if it is an events.Reader (else it fails with
// ErrNotReader), ReadFrom and LastSequence pass through to it if it is an
// events.TailReader (else they fail with ErrNotTailReader). Every read
// fails at the rate FailRead, drawn per read, and late deliveries may be
// made around it.
//
// The error of an injected failure is an *[Error] (errors.Is
// [ErrInjected]) that says which fault it was and how many events were
// stored; it wraps events.ErrInDoubt for the faults that may have stored
// events (FailAfter, FailPartway, Late). An error of the wrapped publisher
// is returned as it is.
//
// # Pipelined calls
//
// [AsyncPublisher] wraps an events.AsyncPublisher and injects the same
// faults into PublishAsync. It models a stream that checks expected last
// sequences: once a call is cut short (FailBefore, Full, FailPartway, Late),
// the calls after it are refused (RefusedBehind, nothing stored) until the
// writer has received the cut call's outcome and read the stream back, so
// that the stream stays a prefix of what the writer sent. A Duplicate sends
// a copy of the call later, with its original expected sequence, for the
// stream to refuse.
//
// A Publish call is synchronous and returns only once its events are
// accepted, so the events of one caller's successive calls can never be
// stored out of call order, and the events within a call stay in order (the
// per-source sequence contract); Late delivers a call's events after the
// call returned, in their order.
//
// # Concurrency
//
// A Publisher is safe for concurrent use; its random source is guarded by
// a mutex, so concurrent callers reproduce a run only if their calls come
// in the same order.
package faultinject
