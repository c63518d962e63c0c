// Package tsagent holds a TypeScript agent (src/agent.ts) that trades on a
// scarcity market over NATS with the official Node client, and the Go test
// that runs it against a market on an embedded NATS server and checks the
// stream it leaves. The Go package has no code of its own; see README.md.
package tsagent
