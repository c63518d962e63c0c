// Package agentapi implements the remote command API of a scarcity.Market
// over NATS request/reply, so that agents in other processes and machines
// trade through the same interface (scarcity.AgentAPI) as agents in the
// market's process, and no agent can act as another.
//
// # Subjects
//
// An agent sends each command as a request on
//
//	<prefix>.cmd.v1.<agent>.<verb>
//
// (prefix DefaultPrefix unless Options.Prefix says otherwise), with a reply
// subject under its own inbox, _INBOX.<agent>. (InboxPrefix). The acting
// agent is the <agent> token of the subject, never a field of the body; the
// NATS server's permissions (see Permissions) let each agent's connection
// publish only under its own token and subscribe only to its own inbox, and
// the Server drops, unexecuted, any request whose reply subject is not under
// the agent's inbox. The verbs are those of Verbs, one per
// method of scarcity.AgentAPI, scarcity.Emitter and scarcity.Rewarder.
//
// # Requests
//
// A request body is one JSON object whose keys are exactly the documented
// field names: an unknown, misspelt (the match is case-sensitive),
// repeated or null field, a second JSON value, or a body above
// Options.MaxMessage is refused. Ids and resource names follow the market's
// id rules (scarcity.ValidateID); amounts are positive decimal strings
// ("12.5"; no exponent, sign, NaN or infinity, never a JSON number);
// quantities are JSON integers within MaxQuantity. The bodies:
//
//	open, balance, prices  {}
//	bid                    {"id", "quantities": {"<resource>": n, ...}, "start"?: RFC 3339, "duration_seconds", "limit": "<decimal>"}
//	cancel                 {"order_id"}
//	use                    {"resource", "quantity"}
//	report                 {"resource", "level"}
//	release                {"bundle_id"}
//	reserve                {"resource", "worst_case", "ttl_ms"}
//	commit                 {"reservation_id", "actual"}
//	cancel_reservation     {"reservation_id"}
//	transfer               {"id", "to", "amount": "<decimal>"}
//	reward                 {"id", "agent", "amount": "<decimal>", "reason"?}  (a human's; see Humans)
//
// # Replies
//
// A reply is {"result": ...} on success — {"posted", "pending",
// "available", "kind", ...} for balance, {"prices": {"<resource>":
// "<decimal>"}} for prices, {"unused", "total"} for release,
// {"reservation_id"} for reserve, nothing for the others — or {"error":
// {"code", "message", ...}}. The code is stable (the Code constants) and
// maps back, on the client, to the library's sentinel: errors.Is(err,
// scarcity.ErrBidRejected), sched.ErrServiceDenied, sched.ErrSpendLimit,
// scarcity.ErrUnknownAgent, scarcity.ErrUnknownOrder and the others hold
// across the wire, and errors.As finds a *scarcity.RejectedError (with its
// reason), *sched.DeniedError or *sched.SpendLimitError. A request refused
// as malformed (CodeInvalidRequest) never reached the market and changed
// nothing. Internal failures are reported as CodeInternal without detail.
//
// # Accounts
//
// Opening an account with credits is the operator's (Market.Open); an
// agent may open its own with none (open), and get credits from the
// operator (Market.Mint), from other agents (transfer) or from humans
// (reward). Every other verb but reward fails with CodeUnknownAgent until
// the agent has an account.
//
// # Humans
//
// A human connects like an agent, on its own identity, and rewards agents
// with the reward verb (Client.Reward, scarcity.Market.Reward): only the
// identities Options.Humans names may (not_human otherwise), a human never
// rewards itself, and the market bounds what each human gives per period
// (scarcity.Config.RewardBudget, off by default). See reward.go.
//
// # Permissions
//
// The NATS server, not this package, keeps each agent in its lane. Package
// natsauth generates the credentials and the server configuration: every
// user has its own nkey, every agent its own NATS account, which may
// publish only its own commands (CommandSubjects), receive replies only
// under its own inbox (InboxPrefix) and events only about itself
// (EventSubjects: as the event's subject or its counterparty), within
// limits on its connections, subscriptions and message size; the market's
// user may receive the commands (ServeSubject) and publish its events, but
// not manage its stream. An agent connects with NkeyOptions (its seed file
// and its inbox prefix) and the server's CA (nats.RootCAs), then Dial:
//
//	opts, err := agentapi.NkeyOptions("alice", "agent.alice.nk")
//	nc, err := nats.Connect(url, append(opts, nats.RootCAs("ca.pem"))...)
//	client, err := agentapi.Dial(nc, "alice", agentapi.Options{Prefix: "shard-a"})
//
// This package imports nats.go, never nats-server.
//
// # Events
//
// The market publishes its events on
// <prefix>.<source>.<type>.<subject>.<counterparty> (package natstransport).
// An agent subscribes to EventSubjects (Client.EventSubjects) to follow the
// events about it live, its own agent events included, and decodes each
// message with events.Decode.
//
// # Concurrency and limits
//
// A Server receives requests on one queue subscription (at most 65,536
// requests or 64 MiB buffered; beyond, NATS drops requests and their
// clients time out) and queues them per agent. Options.Workers goroutines
// execute them: the agents with requests waiting take turns, and an agent
// has at most one request in service, so its requests run in the order this
// Server received them and one agent's flood waits behind its own requests,
// not another's. Each agent may send Options.Rate requests a second in
// bursts of Options.Burst (default 200 and 400) and Options.ByteRate
// request bytes a second in bursts of Options.ByteBurst (1 MiB, 4 MiB),
// measured on Options.Clock; a request beyond is answered rate_limited
// (ErrRateLimited) and costs nothing. A request beyond Options.AgentQueue
// waiting for its agent (64), Options.QueuedAgents agents waiting (1024) or
// Options.QueueBytes waiting (32 MiB), or one received while the Server
// closes, is answered busy (ErrBusy). Neither reaches the market, and both
// may be retried after a pause; the market's own limits (too_many_bids,
// emit_quota) apply as well. Every market call is bounded by
// Options.HandleTimeout from when a worker takes it. The market serialises
// its own commands. A Client is safe for concurrent use; each request is
// bounded by its context's deadline or Options.Timeout.
//
// Reservations can be committed or cancelled only by the agent that made
// them: the market checks the owner of every reservation it is asked to
// end.
package agentapi
