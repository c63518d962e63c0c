// Package natstransport implements the events package's Publisher,
// Subscriber, TailReader and SnapshotStore contracts on NATS JetStream, the
// default durable transport and source of truth of a scarcity market.
//
// It connects to a NATS server (Options.URL or Options.Conn) and never
// starts one, so that a program that only reads a stream or talks to a
// market never compiles nats-server: [Open] with neither fails with
// [ErrNoServer]. Package natsembed runs a server with JetStream in the
// process and opens a Transport over it that owns the server
// ([Transport.Own]).
//
// # Subjects
//
// Every event is stored under the subject
//
//	<prefix>.<source>.<type>.<subject>.<counterparty>
//
// (prefix "scarcity" by default) so that consumers can filter by source,
// type or agent with NATS wildcards, and a NATS server can let each agent
// receive the events about it and no others (see [AgentSubjects] and package
// natsauth). The counterparty is the party other than the subject that the
// event is about, events.Counterparty: the receiver of credits_transferred,
// the account a captured hold pays; "_" when there is none. Source, type,
// subject and counterparty are each mapped to one subject token by [Token]:
// the bytes A-Z, a-z, 0-9, '_' and '-' stand for themselves; any other byte
// ('.', '*', '>', ':', whitespace, '%', non-ASCII bytes) is written "%XX"
// with upper-case hex digits; the empty string is "_" and the one-byte
// string "_" is "%5F". The mapping is injective, so a subject filter never
// confuses two agents. A subject longer than [MaxSubjectLen] is refused.
//
// # Stream
//
// One stream (default "SCARCITY") captures the event subjects of each
// source of the events package's taxonomy — market, ledger,
// scheduler, agent, judge, benchmark — one subject each,
// "<prefix>.<source>.*.*.*" ([StreamSubjects]). The source is never a
// wildcard, so the command subjects of package agentapi,
// "<prefix>.cmd.v1.<agent>.<verb>", as many tokens long, are never stored;
// an event of another source cannot be published (events.ErrInvalid).
// Prefixes of markets sharing a server must not be prefixes of one another
// ("a" and "a.b"), or one stream would capture the other's events.
//
// The stream has file storage, Options.Replicas replicas, the limits
// retention policy with no age or message limit and Options.MaxBytes
// (default unlimited) as the only size limit, discard policy "new" (a full
// stream refuses publishes rather than dropping old events: the stream is
// the source of truth), DenyDelete and DenyPurge set, and a duplicate window
// of Options.DuplicateWindow (default two minutes). A writer's [Open]
// creates the stream or updates it to this configuration, as [Provision]
// does. It reads the stream's info first and refuses, with
// [ErrSubjectsMismatch], to change the subjects of a stream that already
// holds events: a writer with the wrong prefix must not capture a live
// market's stream and make its publishes fail. (A stream of the earlier
// four-token layout, "<prefix>.*.*.*", is such a stream: publish to a new
// one.)
//
// Least privilege: in a deployment where the market's NATS user may not
// manage streams (package natsauth), an operator provisions the stream
// with [Provision] under credentials that may, and the market opens it with
// Options.Provisioned: Open then only reads the stream's configuration and
// checks it (subjects, storage, discard policy, deletes and purges denied),
// never creating or changing it, and needs no more of the JetStream API
// than stream info, consumers on its own stream and publishes to its own
// subjects.
//
// Readers never write. With Options.ReadOnly, [Open] never creates, updates
// or otherwise changes the stream: the stream must exist ([ErrNoStream]
// otherwise), the prefix is learned from its subjects (a Prefix given that
// differs fails with [ErrPrefixMismatch]; subjects of another shape fail
// with [ErrStream]), Subscribe and ReadAll filter under the learned prefix,
// and Publish fails with [ErrReadOnly]. Programs that only read a stream,
// such as examples/verify, open it so.
//
// # Publishing
//
// [Transport.Publish] validates and encodes every event first (CloudEvents
// JSON, events.Encode); an invalid event fails the call and nothing is
// published. It then publishes the events asynchronously, pipelined on the
// connection in order, each with the Nats-Msg-Id header set to the event id,
// and waits for every acknowledgement (a group commit). It returns nil only
// when the server has acknowledged all of them, which on JetStream means
// stored (and, with replicas, replicated to a quorum). The server
// acknowledges an id it already holds within the duplicate window as a
// duplicate without storing it again; that counts as accepted, so a caller
// retries a failed publish by publishing the same events again.
//
// # Subscribing
//
// [Transport.Subscribe] runs an ordered JetStream consumer (ephemeral,
// in-memory, unacknowledged; recreated from the last delivered sequence
// whenever it falls out of step) starting at SubscribeOptions.From. The
// filter's sources, types and subjects become server-side filter subjects
// (their cross product, at most 256 of them; beyond that the longest list is
// left to the client); the whole filter, correlation included, is then
// applied in the client with events.Filter.Match. Delivery.Seq is the
// message's stream sequence. Replay and live tail are the same consumer.
//
// SubscribeOptions.Since is resolved by the events' own times, not the
// server's storage times: the consumer reads the stream from its start
// unfiltered, skips events before the first event at or after Since (or, if
// there is none, every event stored when Subscribe was called), and delivers
// from there. Such a replay reads the whole stream; prefer From where the
// sequence is known.
//
// # Slow consumers
//
// Nothing is dropped for a slow reader. A subscription's channel holds
// Options.SubscriptionBuffer deliveries, and its consumer pulls at most as
// many messages ahead; when both are full the goroutine stops pulling and
// the server keeps the rest in the stream until the reader catches up.
// Publishers are never slowed by subscribers.
//
// # Failures and restarts
//
// A message that does not decode as an event ends its subscription: Err
// wraps [ErrDecode] and events.ErrMalformed and names the stream sequence, so
// the caller can resume from the next one. Cancelling the context ends a
// subscription with the context's cause; Close, of the subscription or of the
// Transport, with events.ErrClosed.
//
// A connection the Transport dials reconnects forever, every
// Options.ReconnectWait, until Close. While the server is away, publishes
// fail with [ErrNotAccepted] (after up to Options.AckTimeout) and may be
// retried; once it is back, with its store, publishing works again and the
// duplicate window keeps retries from storing twice. Subscriptions survive a
// restart: the ordered consumer is recreated after the last sequence it
// delivered, and the same channel continues. A subscription ends with an
// error wrapping [ErrConsumer] only if its consumer cannot be recreated; the
// caller then subscribes again from the sequence after the last Delivery.
//
// # Reading back
//
// A Transport is an events.TailReader. [Transport.ReadAll] reads every
// event the stream holds; [Transport.ReadFrom] the events from a stream
// sequence on (the tail after a snapshot) and the last sequence;
// [Transport.LastSequence] the last sequence alone, from the stream's
// info. A read through a writer's Transport is the writer's own: after a
// failed publish it waits for the publishes in flight, and the writer's
// next message then expects the last sequence read.
//
// # Snapshots
//
// [Transport.Snapshots] returns the events.SnapshotStore beside the
// stream: a JetStream Object Store bucket named [SnapshotBucket] (the
// stream's name and "_SNAPSHOTS"; its own stream is "OBJ_" and that name,
// its subjects "$O.<bucket>.>"), with the stream's storage type and
// replicas. A writer creates it on first use; a reader (Options.ReadOnly)
// only opens it, fails with [ErrNoSnapshots] if there is none, and may not
// put or delete. The Object Store chunks each snapshot and records its
// size and SHA-256 digest; GetSnapshot reads the chunks with direct gets
// and refuses a snapshot whose chunks, size or digest do not match
// ([ErrCorruptSnapshot]). DeleteSnapshot removes an object's metadata and
// chunks and leaves no delete marker. Reading and listing use no consumer:
// the API calls a store makes are STREAM.INFO, DIRECT.GET (and, for a
// bucket without direct gets, STREAM.MSG.GET) and, for a writer,
// STREAM.CREATE once and STREAM.PURGE on the bucket's stream, and
// publishes to the bucket's subjects.
//
// # Concurrency
//
// A Transport is safe for concurrent use. Each call to Publish keeps its own
// events in order; events of concurrent calls interleave.
//
// # Limitations
//
// The subjects check of a writer's Open and its update are two requests: a
// writer that opens a stream while its first event is being stored may
// still change its subjects. Provisioned writers do not have this window.
//
// Deduplication holds within the duplicate window only: an event re-published
// later is stored again. A Publish that fails part-way may leave some of its
// events stored; publishing the same events again stores the missing ones
// after any events stored in between, so the order of a failed call's events
// is guaranteed only when the retry follows at once with no other publisher.
package natstransport
