// Package events defines the immutable event envelope that every scarcity
// service emits, the event taxonomy with its typed payloads, the CloudEvents
// 1.0 JSON codec, the publisher, subscriber, reader and snapshot-store
// contracts that transports implement, an in-memory log and an in-memory
// snapshot store.
//
// # Envelope
//
// An [Event] carries an id (unique and sortable; transports use it to
// deduplicate re-publishes), a [Type], a [Source], a subject (the agent or
// aggregate the event is about), the time from the emitting service's injected
// clock, a per-source gap-free sequence (so a consumer can detect loss), the
// correlation id of the run, the id of the event that caused it, an optional
// W3C traceparent, the schema version, and a typed [Payload].
//
// Events are values: once built they are never modified. Payload maps and
// slices belong to the event; code that receives an event must not modify
// them.
//
// # Stamping
//
// Services stamp their events through a [Sequencer], one per source. A
// [Batch] numbers the events of one state change; the sequencer advances only
// when [Batch.Publish] has been accepted by the publisher, so a rejected
// publish leaves no gap in the sequence.
//
// # Publishes in doubt
//
// A publish can fail after storing some or all of its events (a lost
// acknowledgement); the publisher then says so by wrapping [ErrInDoubt].
// The writer cannot know what the stream holds, so its sequencer is fenced
// ([ErrFenced]) and the writer is rebuilt from the stream, which decides.
// Every event of a batch of two or more carries the batch's range, so a
// reader can tell a batch stored only in part: [Complete] sets such void
// batches aside, and a rebuilt writer goes on numbering after them
// ([Sequencer.SkipVoid]). A batch is thus atomic for every reader that
// rebuilds state, even on a transport that stores messages one by one.
//
// # Agent-defined events
//
// Agents publish the agent types of the taxonomy (reasoning_trace,
// tool_call_initiated, …) and types they define themselves, such as
// code_change_applied, as an [AgentEvent]. The name of such a type is
// lower_snake_case, [MinAgentTypeLen] to [MaxAgentTypeLen] bytes, and never
// a type of the taxonomy ([CheckAgentDefinedType]); its data is any JSON
// object within [MaxAgentPayloadSize]. Decode gives an event of source agent
// of such a type back as an AgentEvent, every field kept, numbers exact.
//
// # Amounts
//
// Credits, prices and other exact quantities travel as [Decimal] strings,
// never as floats.
//
// # Concurrency
//
// [Log] and [MemorySnapshots] are safe for concurrent use. A [Sequencer]
// and its batches are not: each belongs to the single writer of one
// service.
package events
