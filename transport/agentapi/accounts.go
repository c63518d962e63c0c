package agentapi

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/events"
)

// User is a NATS user: the market's, or an agent's whose Name is its
// agent id.
type User struct {
	Name     string
	Password string
}

// eventSources are the sources whose events an agent may tail: the
// agent's own events arrive on <prefix>.<source>.<type>.<agent>.
var eventSources = []events.Source{events.SourceMarket, events.SourceLedger, events.SourceScheduler}

// AgentPermissions returns the NATS permissions of agent under prefix. It
// may publish only its own commands, <prefix>.cmd.v1.<agent>.>, and subscribe
// only to its own inbox, _INBOX.<agent>.>, and to its own events,
// <prefix>.<source>.*.<agent> for the market, ledger and scheduler sources.
// It may not reply to anything.
func AgentPermissions(prefix, agent string) *server.Permissions {
	sub := []string{InboxPrefix(agent) + ".>"}
	for _, src := range eventSources {
		sub = append(sub, prefix+"."+string(src)+".*."+agent)
	}
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{prefix + "." + cmdToken + "." + agent + ".>"}},
		Subscribe: &server.SubjectPermission{Allow: sub},
	}
}

// Accounts returns the users of a NATS server (server.Options.Users) that
// locks the door of the API under prefix: market may publish and subscribe
// to anything (it serves the commands and publishes the events), and each
// agent has AgentPermissions. Names must be valid agent ids, distinct, and
// passwords non-empty.
func Accounts(prefix string, market User, agents []User) ([]*server.User, error) {
	if err := checkUsers(prefix, market, agents); err != nil {
		return nil, err
	}
	users := []*server.User{{Username: market.Name, Password: market.Password}}
	for _, a := range agents {
		users = append(users, &server.User{Username: a.Name, Password: a.Password, Permissions: AgentPermissions(prefix, a.Name)})
	}
	return users, nil
}

func checkUsers(prefix string, market User, agents []User) error {
	if err := validPrefix(prefix); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, u := range append([]User{market}, agents...) {
		if i > 0 {
			if err := scarcity.ValidateID("agent", u.Name); err != nil {
				return fmt.Errorf("%w: %w", ErrInvalidOptions, err)
			}
		}
		if u.Name == "" || u.Password == "" || seen[u.Name] {
			return fmt.Errorf("%w: user %q: empty, duplicate or without password", ErrInvalidOptions, u.Name)
		}
		seen[u.Name] = true
	}
	return nil
}

// ConfigFile returns the authorization block of a nats-server
// configuration file equivalent to Accounts, for an external server.
// Passwords appear as given: pass bcrypt hashes (nats-server --bcrypt) to
// keep plain passwords out of the file.
func ConfigFile(prefix string, market User, agents []User) (string, error) {
	if err := checkUsers(prefix, market, agents); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("authorization {\n  users = [\n")
	fmt.Fprintf(&b, "    {user: %s, password: %s}\n", strconv.Quote(market.Name), strconv.Quote(market.Password))
	for _, a := range agents {
		p := AgentPermissions(prefix, a.Name)
		fmt.Fprintf(&b, "    {user: %s, password: %s, permissions: {publish: {allow: %s}, subscribe: {allow: %s}}}\n",
			strconv.Quote(a.Name), strconv.Quote(a.Password), quoteList(p.Publish.Allow), quoteList(p.Subscribe.Allow))
	}
	b.WriteString("  ]\n}\n")
	return b.String(), nil
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// ConnectOptions returns the nats.Connect options of agent u: its
// credentials and its inbox prefix.
func ConnectOptions(u User) []nats.Option {
	return []nats.Option{nats.UserInfo(u.Name, u.Password), nats.CustomInboxPrefix(InboxPrefix(u.Name))}
}
