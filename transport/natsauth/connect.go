package natsauth

import (
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
	"github.com/scarcitylabs/scarcity/transport/internal/nkeyfile"
)

// AdminInboxPrefix is the inbox prefix of the admin's connection: outside
// the agents' inboxes (_INBOX.<agent>), which the market account exports.
const AdminInboxPrefix = "_SCARCITY_ADMIN"

// MarketInboxPrefix returns the inbox prefix of the connection of the
// market shard under prefix, outside the agents' inboxes and the other
// shards'.
func MarketInboxPrefix(prefix string) string { return "_SCARCITY_MARKET." + prefix }

// MarketOptions returns the nats.Connect options of the market shard under
// prefix: its nkey, whose seed is in seedFile (mode 0600), and its inbox
// prefix. Add nats.RootCAs for a TLS server. Errors wrap ErrInvalid or
// ErrSeedFile.
func MarketOptions(prefix, seedFile string) ([]nats.Option, error) {
	if err := agentapi.ValidatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	auth, err := nkeyfile.Option(seedFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSeedFile, err)
	}
	return []nats.Option{auth, nats.CustomInboxPrefix(MarketInboxPrefix(prefix)), nats.Name("market " + prefix)}, nil
}

// AdminOptions returns the nats.Connect options of the admin: its nkey,
// whose seed is in seedFile (mode 0600), and its inbox prefix. Errors wrap
// ErrSeedFile.
func AdminOptions(seedFile string) ([]nats.Option, error) {
	auth, err := nkeyfile.Option(seedFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSeedFile, err)
	}
	return []nats.Option{auth, nats.CustomInboxPrefix(AdminInboxPrefix), nats.Name("scarcity admin")}, nil
}
