// Package natsauth generates the credentials and the nats-server
// configuration of a deployment in which markets (agentapi.Serve over a
// natstransport stream) and agents in other processes share one NATS
// server, such that an agent holding its own valid credentials can act only
// as itself. It depends on nats.go and nkeys, never on nats-server: run the
// configuration with an external nats-server (nats-server -c nats.conf) or
// load it into an embedded one (server.ProcessConfigFile).
//
// # Credentials
//
// Every user — the admin, each shard's market, each agent — has its own
// NATS nkey (an ed25519 key pair). WriteSeeds writes each seed (the private
// key) to its own file, mode 0600, in a directory of mode 0700; the server's
// configuration holds only public keys, and no credential reveals or
// derives another: there is no shared secret to guess. A connection proves
// its key by signing the server's nonce (nats.go reads the seed file when it
// signs and keeps no copy). Hand each process its own seed file and the CA
// file, never on a command line or in a log. An agent may also make its own
// key and give the operator only its public key (PublicKey, Keys.Agents).
// Delete a user's seed file, write again and restart the server to replace
// its key.
//
// # Accounts and permissions
//
// The configuration (ConfigFile) has one NATS account for the markets,
// MarketAccount, and one per agent, AgentAccount(id). Accounts share
// nothing but what they export and import, so an agent's connection cannot
// even name another account's subjects.
//
//	user            account        may publish                              may subscribe
//	admin           MARKET         $JS.API.> (provisions the streams)       _SCARCITY_ADMIN.>
//	market <p>      MARKET         <p>.<source>.*.*.* (its events);         <p>.cmd.v1.*.* (its agents' commands);
//	                               _INBOX.> (replies to agents);            _SCARCITY_MARKET.<p>.> (its inbox)
//	                               of $JS.API: STREAM.INFO.<stream>,
//	                               CONSUMER.{CREATE,MSG.NEXT,DELETE}
//	                               on <stream>;
//	                               $O.<bucket>.> (its snapshots) and, of
//	                               $JS.API, STREAM.{CREATE,INFO,PURGE,
//	                               MSG.GET} and DIRECT.GET on OBJ_<bucket>
//	agent <a>       AGENT_<a>      <p>.cmd.v1.<a>.> (its commands)          _INBOX.<a>.> (its replies);
//	                                                                        agentapi.EventSubjects(<p>, <a>)
//
// for every shard prefix <p>, <bucket> being the shard's snapshot bucket,
// natstransport.SnapshotBucket(<stream>). The market user may not create,
// update, delete or purge its event stream: the admin provisions each
// shard's stream beforehand (natstransport.Provision with AdminOptions) and
// the market opens it with natstransport.Options.Provisioned. Its snapshot
// bucket's stream it may create (on first use, natstransport.Snapshots)
// and purge (deleting old snapshots), never update or delete; it needs no
// consumer on it. A snapshot holds every agent's state: no agent may read
// it, and none can, its account having no JetStream. The admin is for
// operators and provisioning only, never a market's runtime. No user has
// allow_responses: a command whose reply subject names the JetStream API
// (say $JS.API.STREAM.DELETE.<stream>) cannot make the market publish there,
// even if its server answered any reply subject (agentapi.Server answers
// only under the agent's inbox).
//
// The market account exports to each agent's account alone that agent's
// inbox, _INBOX.<a>.>, and the events about it: for each source, those
// whose subject is the agent and those whose counterparty is
// (natstransport.AgentSubjects; so the receiver of a transfer sees it), the
// id written as a natstransport.Token so that ids holding ':' work. Each
// agent's account exports its command subjects to the market account alone.
// Commands thus reach the market with their reply subject intact, and the
// market's agentapi.Server answers only under the agent's inbox. Agent
// accounts have no JetStream: an agent cannot call the JetStream API, read
// the stream's history or touch any stream or consumer; it receives its
// events live (core NATS) as the market publishes them.
//
// # Limits
//
// Limits, whose zero value means defaults that protect a market out of the
// box: each agent account takes at most AgentConnections connections (4),
// AgentSubscriptions subscriptions per connection (64) and AgentPayload
// bytes per message (64 KiB); any message is at most MaxPayload (1 MiB); the
// market account's JetStream, every stream together, stores at most
// MarketStorage bytes on file (1 GiB) and nothing in memory, the server's
// JetStream as much. The server refuses what exceeds them: a connection
// (maximum account active connections exceeded), a subscription (maximum
// subscriptions exceeded), a message (Maximum Payload Violation, and the
// connection is closed), a publish to a full stream (natstransport reports
// events.ErrFull). Change a limit in Deployment.Limits, write the
// configuration again and reload or restart the server.
//
// # TLS
//
// WriteTLS makes a certificate authority and a server certificate for
// localhost, 127.0.0.1, ::1 and the server's host; the configuration makes
// the server require TLS with it, and clients verify the server with the
// CA (nats.RootCAs). The CA's private key is never written. Use your own
// certificates by setting Deployment.TLS.
//
// # Deployment
//
// Write does all of the above into one directory: a seed file per user,
// the TLS files and nats.conf. Shard prefixes must not be token prefixes of
// one another ("a" and "a.b"), nor start with '_' (the inboxes' namespace).
package natsauth
