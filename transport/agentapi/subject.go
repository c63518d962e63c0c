package agentapi

import (
	"fmt"
	"strings"

	"github.com/scarcitylabs/scarcity"
)

// Verb names a command: the last token of its subject.
type Verb string

// The commands of the API, one per method of scarcity.AgentAPI, Emitter
// and Rewarder.
const (
	VerbOpen              Verb = "open"
	VerbBid               Verb = "bid"
	VerbCancel            Verb = "cancel"
	VerbBalance           Verb = "balance"
	VerbPrices            Verb = "prices"
	VerbUse               Verb = "use"
	VerbReport            Verb = "report"
	VerbRelease           Verb = "release"
	VerbReserve           Verb = "reserve"
	VerbCommit            Verb = "commit"
	VerbCancelReservation Verb = "cancel_reservation"
	VerbTransfer          Verb = "transfer"
	// VerbEmit publishes an agent event (scarcity.Emitter); see emit.go.
	VerbEmit Verb = "emit"
	// VerbReward rewards an agent on behalf of the acting human
	// (scarcity.Rewarder); see reward.go.
	VerbReward Verb = "reward"
)

// Verbs lists every verb, in a stable order.
var Verbs = []Verb{
	VerbOpen, VerbBid, VerbCancel, VerbBalance, VerbPrices, VerbUse, VerbReport,
	VerbRelease, VerbReserve, VerbCommit, VerbCancelReservation, VerbTransfer,
	VerbEmit,   // emit.go
	VerbReward, // reward.go
}

// known reports whether v is one of Verbs.
func (v Verb) known() bool {
	for _, k := range Verbs {
		if v == k {
			return true
		}
	}
	return false
}

// cmdToken separates the prefix from the agent in a command subject. A
// command subject has as many tokens as an event subject
// (<prefix>.<source>.<type>.<subject>.<counterparty>), but "cmd" is no event
// source: the event stream, one subject per source, never stores commands,
// and an agent's event subjects never match another agent's commands.
const cmdToken = "cmd.v1"

// CommandSubject returns the subject on which agent sends verb:
// <prefix>.cmd.v1.<agent>.<verb>.
func CommandSubject(prefix, agent string, verb Verb) string {
	return prefix + "." + cmdToken + "." + agent + "." + string(verb)
}

// CommandSubjects returns the subjects of every command of agent,
// <prefix>.cmd.v1.<agent>.>: those a deployment lets the agent publish
// (package natsauth).
func CommandSubjects(prefix, agent string) string {
	return prefix + "." + cmdToken + "." + agent + ".>"
}

// ServeSubject returns the subject a Server subscribes to,
// <prefix>.cmd.v1.*.*: the commands of every agent, which a deployment lets
// only the market's user receive.
func ServeSubject(prefix string) string { return commandWildcard(prefix) }

// commandWildcard is the subject the server subscribes to.
func commandWildcard(prefix string) string { return prefix + "." + cmdToken + ".*.*" }

// parseSubject returns the agent and verb of a command subject under
// prefix. The agent must be a valid id; the verb need not be known.
func parseSubject(prefix, subject string) (agent string, verb Verb, err error) {
	rest, ok := strings.CutPrefix(subject, prefix+"."+cmdToken+".")
	if !ok {
		return "", "", fmt.Errorf("%w: subject %q is not under %q", ErrInvalidRequest, subject, prefix)
	}
	agent, v, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(v, ".") {
		return "", "", fmt.Errorf("%w: subject %q", ErrInvalidRequest, subject)
	}
	if err := scarcity.ValidateID("agent", agent); err != nil {
		return "", "", err
	}
	return agent, Verb(v), nil
}

// InboxPrefix returns the inbox prefix an agent's connection must use
// (nats.CustomInboxPrefix): replies go only to _INBOX.<agent>.>, the only
// subjects the agent may subscribe to, so no agent can read or forge the
// replies sent to another.
func InboxPrefix(agent string) string { return "_INBOX." + agent }

// replyAllowed reports whether reply is under agent's inbox.
func replyAllowed(agent, reply string) bool {
	rest, ok := strings.CutPrefix(reply, InboxPrefix(agent)+".")
	return ok && rest != "" && !strings.ContainsAny(rest, "*> \t\r\n")
}

// ValidatePrefix returns an error wrapping ErrInvalidOptions unless p is a
// valid subject prefix (Options.Prefix): one or more dot-separated tokens of
// ASCII letters, digits, '-' and '_', at most 128 bytes.
func ValidatePrefix(p string) error { return validPrefix(p) }

// validPrefix checks a subject prefix: one or more dot-separated tokens of
// ASCII letters, digits, '-' and '_'.
func validPrefix(p string) error {
	if p == "" || len(p) > 128 {
		return fmt.Errorf("%w: prefix %q", ErrInvalidOptions, p)
	}
	for tok := range strings.SplitSeq(p, ".") {
		if tok == "" {
			return fmt.Errorf("%w: prefix %q has an empty token", ErrInvalidOptions, p)
		}
		for _, c := range []byte(tok) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("%w: prefix %q: byte %q not allowed", ErrInvalidOptions, p, c)
			}
		}
	}
	return nil
}
