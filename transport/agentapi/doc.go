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
// NATS server's permissions (AgentPermissions, Accounts) let each agent's
// connection publish only under its own token and subscribe only to its own
// inbox, and the Server drops, unexecuted, any request whose reply subject
// is not under the agent's inbox. The verbs are those of Verbs, one per
// method of scarcity.AgentAPI.
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
// operator (Market.Mint) or from other agents (transfer). Every other verb
// fails with CodeUnknownAgent until the agent has an account.
//
// # Permissions
//
// Accounts returns the users of an embedded server (server.Options.Users);
// ConfigFile returns the equivalent authorization block for an external
// nats-server, for example:
//
//	authorization {
//	  users = [
//	    {user: "market", password: "..."}
//	    {user: "alice", password: "...", permissions: {
//	      publish: {allow: ["scarcity.cmd.v1.alice.>"]},
//	      subscribe: {allow: ["_INBOX.alice.>", "scarcity.market.*.alice", "scarcity.ledger.*.alice", "scarcity.scheduler.*.alice"]}}}
//	  ]
//	}
//
// The market's user has all rights. An agent connects with
// ConnectOptions (its credentials and its inbox prefix) and Dial.
//
// # Concurrency and limits
//
// A Server handles requests on Options.Workers queue subscriptions, each
// one request at a time, with at most 4096 requests buffered per
// subscription (beyond, NATS drops them and the clients time out); every
// market call is bounded by Options.HandleTimeout. The market serialises
// its own commands. A Client is safe for concurrent use; each request is
// bounded by its context's deadline or Options.Timeout.
//
// Reservations can be committed or cancelled only by the agent that made
// them: the market checks the owner of every reservation it is asked to
// end.
package agentapi
