package natsauth

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
	"github.com/scarcitylabs/scarcity/transport/internal/subject"
)

// Defaults and bounds of Limits and Deployment.
const (
	DefaultAgentConnections   = 4
	MaxAgentConnections       = 1024
	DefaultAgentSubscriptions = 64
	MaxAgentSubscriptions     = 65536
	DefaultAgentPayload       = 64 << 10
	MinPayload                = 1 << 10
	DefaultMaxPayload         = 1 << 20
	MaxMaxPayload             = 64 << 20
	DefaultMarketStorage      = 1 << 30
	MinMarketStorage          = 1 << 20
	DefaultHost               = "127.0.0.1"
	DefaultPort               = 4222
)

// Limits bounds what each agent may take of the server, and what the
// markets may store. The zero value of every field means its default,
// which protects a market out of the box.
type Limits struct {
	// AgentConnections bounds the connections of one agent's account
	// (all its processes together); DefaultAgentConnections if zero, at
	// most MaxAgentConnections.
	AgentConnections int
	// AgentSubscriptions bounds the subscriptions of each connection of an
	// agent; DefaultAgentSubscriptions if zero. It must leave room for the
	// agent's inbox and its event subjects on every shard
	// (1 + len(agentapi.EventSubjects) per shard).
	AgentSubscriptions int
	// AgentPayload bounds the size in bytes of one message an agent
	// publishes; DefaultAgentPayload (agentapi.DefaultMaxMessage) if zero,
	// MinPayload to MaxPayload.
	AgentPayload int
	// MaxPayload bounds the size of any message on the server (the
	// markets' events included); DefaultMaxPayload if zero, at most
	// MaxMaxPayload.
	MaxPayload int
	// MarketStorage bounds the JetStream file storage of the market
	// account, every shard's stream together, and of the server; a full
	// stream refuses publishes (natstransport: events.ErrFull).
	// DefaultMarketStorage if zero, at least MinMarketStorage.
	MarketStorage int64
}

// Shard is one market sharing the server: its subject prefix (as in
// agentapi.Options.Prefix and natstransport.Options.Prefix) and its
// JetStream stream.
type Shard struct {
	// Prefix is the shard's subject prefix: dot-separated tokens of ASCII
	// letters, digits, '-' and '_', the first not starting with '_'
	// (reserved for inboxes).
	Prefix string
	// Stream is the shard's stream; StreamName(Prefix) if empty.
	Stream string
}

// TLS names the PEM files of the server's certificate and key, and of the
// certificate authority clients verify it with (see WriteTLS).
type TLS struct {
	CertFile string
	KeyFile  string
	CAFile   string
}

// Deployment describes the users of one NATS server shared by market
// shards and their agents, and where the server listens and stores.
type Deployment struct {
	// Shards are the markets: at least one, prefixes distinct and none a
	// token prefix of another ("a" and "a.b" would share subjects).
	Shards []Shard
	// Agents are the agents' ids (scarcity.ValidateID), distinct: one NATS
	// account and user each.
	Agents []string
	// Limits bounds the agents and the markets.
	Limits Limits
	// Host is the interface the server listens on; DefaultHost if empty.
	Host string
	// Port is the client port; DefaultPort if zero, -1 for a random one.
	Port int
	// MonitorPort, if not zero, serves nats-server's monitoring endpoints
	// (/varz, /connz, /accountz, /jsz) on 127.0.0.1 only: they show every
	// connection and account.
	MonitorPort int
	// StoreDir is the JetStream store directory; required.
	StoreDir string
	// TLS, if CertFile is set, makes the server require TLS with this
	// certificate. Leave it empty only for tests on a loopback interface:
	// nkeys keep credentials off the wire, but not the traffic.
	TLS TLS
}

// StreamName derives a JetStream stream name from a subject prefix:
// "shard-a" gives "SHARD_A".
func StreamName(prefix string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, prefix)
}

// withDefaults returns d with its zero fields set, validated.
func (d Deployment) withDefaults() (Deployment, error) {
	l := &d.Limits
	l.AgentConnections = orDefault(l.AgentConnections, DefaultAgentConnections)
	l.AgentSubscriptions = orDefault(l.AgentSubscriptions, DefaultAgentSubscriptions)
	l.AgentPayload = orDefault(l.AgentPayload, DefaultAgentPayload)
	l.MaxPayload = orDefault(l.MaxPayload, DefaultMaxPayload)
	l.MarketStorage = orDefault(l.MarketStorage, DefaultMarketStorage)
	d.Host = orDefault(d.Host, DefaultHost)
	d.Port = orDefault(d.Port, DefaultPort)
	d.Shards = append([]Shard(nil), d.Shards...)
	for i := range d.Shards {
		d.Shards[i].Stream = orDefault(d.Shards[i].Stream, StreamName(d.Shards[i].Prefix))
	}
	return d, d.validate()
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// validate checks d, its defaults set.
func (d Deployment) validate() error {
	l := d.Limits
	// An agent needs its inbox and its event subjects on every shard.
	needSubs := 1 + len(subject.Agent("p", "a"))*len(d.Shards)
	switch {
	case len(d.Shards) == 0:
		return fmt.Errorf("%w: no shard", ErrInvalid)
	case l.AgentConnections < 1 || l.AgentConnections > MaxAgentConnections:
		return fmt.Errorf("%w: AgentConnections %d not in 1..%d", ErrInvalid, l.AgentConnections, MaxAgentConnections)
	case l.AgentSubscriptions < needSubs || l.AgentSubscriptions > MaxAgentSubscriptions:
		return fmt.Errorf("%w: AgentSubscriptions %d not in %d..%d (an agent's inbox and events on %d shards need %d)",
			ErrInvalid, l.AgentSubscriptions, needSubs, MaxAgentSubscriptions, len(d.Shards), needSubs)
	case l.MaxPayload < MinPayload || l.MaxPayload > MaxMaxPayload:
		return fmt.Errorf("%w: MaxPayload %d not in %d..%d", ErrInvalid, l.MaxPayload, MinPayload, MaxMaxPayload)
	case l.AgentPayload < MinPayload || l.AgentPayload > l.MaxPayload:
		return fmt.Errorf("%w: AgentPayload %d not in %d..%d", ErrInvalid, l.AgentPayload, MinPayload, l.MaxPayload)
	case l.MarketStorage < MinMarketStorage:
		return fmt.Errorf("%w: MarketStorage %d below %d", ErrInvalid, l.MarketStorage, MinMarketStorage)
	case d.Port < -1 || d.Port > 65535 || d.MonitorPort < 0 || d.MonitorPort > 65535:
		return fmt.Errorf("%w: port %d or monitor port %d", ErrInvalid, d.Port, d.MonitorPort)
	case d.StoreDir == "":
		return fmt.Errorf("%w: no StoreDir", ErrInvalid)
	case (d.TLS.CertFile == "") != (d.TLS.KeyFile == ""):
		return fmt.Errorf("%w: TLS needs both CertFile and KeyFile", ErrInvalid)
	}
	for _, s := range []string{d.Host, d.StoreDir, d.TLS.CertFile, d.TLS.KeyFile} {
		if strings.ContainsAny(s, "\"\\\x00\r\n") {
			return fmt.Errorf("%w: %q: quotes, backslashes and line breaks are not allowed in the configuration's strings", ErrInvalid, s)
		}
	}
	if err := checkShards(d.Shards); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, a := range d.Agents {
		if err := scarcity.ValidateID("agent", a); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if seen[a] {
			return fmt.Errorf("%w: agent %q listed twice", ErrInvalid, a)
		}
		seen[a] = true
	}
	return nil
}

// checkShards checks the prefixes and streams of shards: valid, distinct,
// not in the inbox namespace, and no prefix a token prefix of another.
func checkShards(shards []Shard) error {
	streams := map[string]bool{}
	for i, s := range shards {
		if err := agentapi.ValidatePrefix(s.Prefix); err != nil {
			return fmt.Errorf("%w: shard prefix %q: %w", ErrInvalid, s.Prefix, err)
		}
		if strings.HasPrefix(s.Prefix, "_") {
			return fmt.Errorf("%w: shard prefix %q: empty, or starts with '_' (reserved for inboxes)", ErrInvalid, s.Prefix)
		}
		if s.Stream == "" || strings.ContainsAny(s.Stream, ".*>/\\ \t\r\n\"") || streams[s.Stream] {
			return fmt.Errorf("%w: shard %q: stream %q invalid or used twice", ErrInvalid, s.Prefix, s.Stream)
		}
		streams[s.Stream] = true
		for _, o := range shards[:i] {
			if o.Prefix == s.Prefix || strings.HasPrefix(o.Prefix, s.Prefix+".") || strings.HasPrefix(s.Prefix, o.Prefix+".") {
				return fmt.Errorf("%w: shard prefixes %q and %q overlap", ErrInvalid, o.Prefix, s.Prefix)
			}
		}
	}
	return nil
}

// absolute returns path made absolute, so that the server finds it from
// any working directory.
func absolute(path string) string {
	if path == "" {
		return ""
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
