package agentapi

import (
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/transport/internal/nkeyfile"
	"github.com/scarcitylabs/scarcity/transport/internal/subject"
)

// NkeyOptions returns the nats.Connect options of agent: authentication
// with the NATS user nkey whose seed is in seedFile, and the agent's inbox
// prefix (InboxPrefix), which Dial requires. The file must be a regular
// file readable by its owner only (mode 0600); nats.go reads it whenever it
// authenticates and keeps no copy of the seed. Add the server's CA
// (nats.RootCAs) to verify a TLS server. Errors wrap ErrInvalidOptions.
func NkeyOptions(agent, seedFile string) ([]nats.Option, error) {
	if err := scarcity.ValidateID("agent", agent); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	auth, err := nkeyfile.Option(seedFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	return []nats.Option{auth, nats.CustomInboxPrefix(InboxPrefix(agent)), nats.Name("agent " + agent)}, nil
}

// EventSubjects returns the NATS subjects of the events about agent under
// prefix, those a deployment lets the agent receive (package natsauth): for
// each event source, the events whose subject is the agent and those whose
// counterparty is (the receiver of credits_transferred, for example), with
// the agent written as a natstransport.Token, so that ids holding ':' work.
// No event matches two of them. The market publishes them live: an agent
// subscribes to them (core NATS, at most once) and decodes each message
// with events.Decode.
func EventSubjects(prefix, agent string) []string { return subject.Agent(prefix, agent) }

// EventSubjects returns the subjects of the events about the client's
// agent under its prefix (see the package function EventSubjects).
func (c *Client) EventSubjects() []string { return EventSubjects(c.opts.Prefix, c.agent) }
