// Package natstest starts in-process NATS servers with JetStream for tests:
// a single server on a temporary store directory and a random loopback port,
// which can be restarted on the same store and port, and a JetStream cluster
// of several such servers.
//
// It is an ordinary (non-test) package so that suites outside this module can
// import it. Every helper takes a [testing.TB], fails the test through it and
// registers its cleanup with tb.Cleanup, so callers never shut servers down
// themselves.
package natstest
