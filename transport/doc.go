// Package transport holds the transports that carry scarcity's events: the
// implementations of the events.Publisher and events.Subscriber
// contracts that the domain packages publish through without knowing which
// one is configured.
//
// # Transports
//
//   - In memory: events.Log, an append-only stream held by the process.
//     It is the reference transport: atomic batches, deduplication by event
//     id, and subscribers that read at their own pace.
//   - NATS JetStream (package natstransport, the default for a market that
//     spans processes): events are CloudEvents JSON messages on subjects
//     "<prefix>.<source>.<type>.<subject>.<counterparty>", the event id is
//     the message id the server deduplicates on, and a publish returns once
//     the server has acknowledged it. natstransport connects to a server;
//     package natsembed runs one in the process (natsembed.Open: a
//     Transport that owns its server).
//
// # What a client compiles
//
// Only natsembed and the test helpers of natstest import nats-server. The
// packages an agent or a stream reader builds on — agentapi (the command
// API), natstransport, natsauth (credentials and server configuration),
// faultinject — depend on nats.go alone, and the domain packages on no
// transport at all; internal/importrules tests both rules.
//
// # Conformance
//
// Every transport passes the same suite, package transporttest: a
// transport's test calls transporttest.Run with a harness that makes
// fresh, empty streams. The suite states the contract's details that the
// interfaces cannot: stream sequences from 1, replay by sequence and time,
// filters, deduplication, cancellation, closing, the slow-consumer policy,
// reading back (events.Reader, events.TailReader) and recovery after a
// server restart.
//
// # Snapshots
//
// A writer keeps its snapshots beside its stream in an
// events.SnapshotStore: events.MemorySnapshots beside an events.Log,
// natstransport.Snapshots (a JetStream Object Store bucket) beside a
// JetStream stream. Both pass transporttest.RunSnapshotStore.
package transport
