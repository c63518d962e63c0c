package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
)

// marketUser is the NATS user every market shard connects as.
const marketUser = "market"

// password derives a user's password from the operator's secret, so that
// the server, the markets and the agents agree without a password file.
// The operator hands each agent its own password only.
func password(secret, user string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(user))
	return hex.EncodeToString(mac.Sum(nil))[:20]
}

// users returns the NATS users of a server shared by market shards under
// prefixes: the market's user may do anything, and each agent may send its
// own commands and read its own inbox and events under every prefix.
// agentapi.Accounts builds the same for one prefix; several shards need the
// permissions of every prefix merged into one user.
func users(secret string, prefixes, agents []string) ([]*server.User, error) {
	if len(prefixes) == 0 {
		return nil, fmt.Errorf("no prefix")
	}
	out := []*server.User{{Username: marketUser, Password: password(secret, marketUser)}}
	for _, a := range agents {
		u := &server.User{Username: a, Password: password(secret, a), Permissions: &server.Permissions{
			Publish:   &server.SubjectPermission{},
			Subscribe: &server.SubjectPermission{},
		}}
		for _, p := range prefixes {
			// Accounts validates the names and the prefix as the API wants them.
			if _, err := agentapi.Accounts(p, agentapi.User{Name: marketUser, Password: "x"}, []agentapi.User{{Name: a, Password: "x"}}); err != nil {
				return nil, err
			}
			perm := agentapi.AgentPermissions(p, a)
			u.Permissions.Publish.Allow = appendNew(u.Permissions.Publish.Allow, perm.Publish.Allow)
			u.Permissions.Subscribe.Allow = appendNew(u.Permissions.Subscribe.Allow, perm.Subscribe.Allow)
		}
		out = append(out, u)
	}
	return out, nil
}

// appendNew appends the subjects of add not already in to.
func appendNew(to, add []string) []string {
	for _, s := range add {
		if !slices.Contains(to, s) {
			to = append(to, s)
		}
	}
	return to
}

// configFile returns a nats-server configuration with JetStream and the
// users' authorization block, in the form of agentapi.ConfigFile.
func configFile(port int, storeDir string, us []*server.User) string {
	var b strings.Builder
	fmt.Fprintf(&b, "port: %d\njetstream {store_dir: %s}\n", port, strconv.Quote(storeDir))
	b.WriteString("authorization {\n  users = [\n")
	for _, u := range us {
		if u.Permissions == nil {
			fmt.Fprintf(&b, "    {user: %s, password: %s}\n", strconv.Quote(u.Username), strconv.Quote(u.Password))
			continue
		}
		fmt.Fprintf(&b, "    {user: %s, password: %s, permissions: {publish: {allow: %s}, subscribe: {allow: %s}}}\n",
			strconv.Quote(u.Username), strconv.Quote(u.Password), quoteList(u.Permissions.Publish.Allow), quoteList(u.Permissions.Subscribe.Allow))
	}
	b.WriteString("  ]\n}\n")
	return b.String()
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// splitList splits a comma-separated flag, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
