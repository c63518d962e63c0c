// Package importrules holds no code: its test enforces the module's import
// rules (CONTRIBUTING.md, "Which package may import which") on the packages'
// non-test dependencies, as go list reports them:
//
//   - Domain packages — every package of the module outside transport/ and
//     examples/: the root, auction, bundle, events, ledger, sched,
//     benchkit and their subpackages, internal/... — depend on no
//     transport/... package and no github.com/nats-io package.
//   - Client packages — the code an agent or a stream reader compiles:
//     transport/agentapi, transport/natstransport, transport/natsauth,
//     transport/faultinject and events — do not depend on nats-server,
//     which only transport/natsembed (a server in the process) and the
//     test helpers of transport/natstest import.
//
// A violation fails the test with the chain of imports that leads to the
// forbidden package.
//
// A second test keeps the README's map of the module true: its package
// table names every public package, and its one-way import chain holds for
// every import go list reports.
package importrules
