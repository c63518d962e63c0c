package transporttest

import "testing"

// conformanceCase is one subtest of the suite.
type conformanceCase struct {
	name string
	run  func(t *testing.T, s suite)
}

// cases are the subtests of Run, in the order they run.
var cases = []conformanceCase{
	{"PublishSubscribe", testPublishSubscribe},
	{"Envelope", testEnvelope},
	{"Order", testOrder},
	{"Dedupe", testDedupe},
	{"Replay", testReplay},
	{"Filter", testFilter},
	{"LiveTail", testLiveTail},
	{"ConcurrentPublishers", testConcurrentPublishers},
	{"Cancel", testCancel},
	{"Close", testClose},
	{"SlowConsumer", testSlowConsumer},
	{"Invalid", testInvalid},
	{"Read", testRead},
	{"Restart", testRestart},
}

// Run runs the conformance suite against the transport h makes, one subtest
// per case, each on fresh streams. Subtests run one after another. Run a
// single case with go test -run 'TestName/Case'.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("transporttest: Harness.New is nil")
	}
	s := suite{h: h, timeout: h.timeout()}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, s) })
	}
}
