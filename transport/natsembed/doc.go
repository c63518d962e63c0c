// Package natsembed runs a NATS server with JetStream in the process, and
// opens a natstransport.Transport over one ([Open]): a market that needs no
// separate server (a demo, a test, a single machine) imports it.
//
// It is the only package of the library, besides the test helpers of
// package natstest, that imports nats-server. Code that only connects to a
// server — an agent using package agentapi, a service reading a stream
// with package natstransport, package natsauth — does not import it, and
// so never compiles nats-server.
//
// A [Server] listens on a loopback port (random by default) and stores
// into Options.DataDir, or into a new temporary directory that Shutdown
// removes. [Open] starts one on natstransport.Options.DataDir and hands it
// to the Transport (natstransport.Transport.Own), so that closing the
// Transport shuts the server down.
package natsembed
