package natsauth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nats-io/nkeys"
	"github.com/scarcitylabs/scarcity/transport/internal/nkeyfile"
	"github.com/scarcitylabs/scarcity/transport/internal/subject"
)

// Keys are the public nkeys of a deployment's users: all the server's
// configuration holds. Each user keeps its seed (the private key) in its
// own file; no key reveals another.
type Keys struct {
	// Admin provisions the streams (the JetStream API of the market
	// account).
	Admin string
	// Markets holds the runtime user of each shard, by prefix.
	Markets map[string]string
	// Agents holds each agent's user, by agent id.
	Agents map[string]string
}

// AdminSeedFile returns the path of the admin's seed file in dir.
func AdminSeedFile(dir string) string { return filepath.Join(dir, "admin.nk") }

// MarketSeedFile returns the path of the seed file of the market shard
// under prefix in dir.
func MarketSeedFile(dir, prefix string) string {
	return filepath.Join(dir, "market."+prefix+".nk")
}

// AgentSeedFile returns the path of agent's seed file in dir; the id is
// written as a natstransport.Token, so ids holding ':' make portable names.
func AgentSeedFile(dir, agent string) string {
	return filepath.Join(dir, "agent."+subject.Token(agent)+".nk")
}

// WriteSeeds makes sure dir holds a seed file for every user of d — the
// admin, each shard's market, each agent — and returns their public keys.
// A missing file gets a new user nkey, written with mode 0600 (dir is
// created with mode 0700 if needed); an existing one is kept, so that
// running it again hands out no new credentials, and must be readable by
// its owner only. Delete a user's file to give it a new key (and restart
// the server with the configuration written again). Errors wrap ErrInvalid
// or ErrSeedFile.
func WriteSeeds(dir string, d Deployment) (Keys, error) {
	d, err := d.withDefaults()
	if err != nil {
		return Keys{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Keys{}, fmt.Errorf("%w: %w", ErrSeedFile, err)
	}
	k := Keys{Markets: map[string]string{}, Agents: map[string]string{}}
	if k.Admin, err = seed(AdminSeedFile(dir)); err != nil {
		return Keys{}, err
	}
	for _, s := range d.Shards {
		if k.Markets[s.Prefix], err = seed(MarketSeedFile(dir, s.Prefix)); err != nil {
			return Keys{}, err
		}
	}
	for _, a := range d.Agents {
		if k.Agents[a], err = seed(AgentSeedFile(dir, a)); err != nil {
			return Keys{}, err
		}
	}
	return k, nil
}

// seed returns the public key of the user seed in path, creating the file
// with a new seed if it does not exist.
func seed(path string) (string, error) {
	if _, err := os.Stat(path); err == nil {
		return readSeed(path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: %w", ErrSeedFile, err)
	}
	kp, err := nkeys.CreateUser()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSeedFile, err)
	}
	defer kp.Wipe()
	s, err := kp.Seed()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSeedFile, err)
	}
	defer wipe(s)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSeedFile, err)
	}
	_, werr := f.Write(append(s, '\n'))
	if err := errors.Join(werr, f.Close()); err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("%w: %s: %w", ErrSeedFile, path, err)
	}
	return kp.PublicKey()
}

// readSeed returns the public key of the user seed in path, which only its
// owner may read.
func readSeed(path string) (string, error) {
	if err := nkeyfile.Check(path); err != nil {
		return "", fmt.Errorf("%w: %w", ErrSeedFile, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSeedFile, err)
	}
	defer wipe(b)
	kp, err := nkeys.ParseDecoratedNKey(b)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrSeedFile, path, err)
	}
	defer kp.Wipe()
	pub, err := kp.PublicKey()
	if err != nil || !nkeys.IsValidPublicUserKey(pub) {
		return "", fmt.Errorf("%w: %s holds no user seed", ErrSeedFile, path)
	}
	return pub, nil
}

// PublicKey returns the public key of the user seed in seedFile, for an
// agent that made its own key (nk -gen user, or nkeys.CreateUser) and hands
// the operator only its public key. Errors wrap ErrSeedFile.
func PublicKey(seedFile string) (string, error) { return readSeed(seedFile) }

func wipe(b []byte) {
	for i := range b {
		b[i] = 'x'
	}
}

// check validates k against d: a user public key for every user, all
// distinct.
func (k Keys) check(d Deployment) error {
	seen := map[string]string{}
	use := func(who, key string) error {
		if !nkeys.IsValidPublicUserKey(key) {
			return fmt.Errorf("%w: %s: %q is not a public user nkey", ErrInvalid, who, key)
		}
		if other, ok := seen[key]; ok {
			return fmt.Errorf("%w: %s and %s share a key", ErrInvalid, other, who)
		}
		seen[key] = who
		return nil
	}
	if err := use("admin", k.Admin); err != nil {
		return err
	}
	for _, s := range d.Shards {
		if err := use("market "+s.Prefix, k.Markets[s.Prefix]); err != nil {
			return err
		}
	}
	for _, a := range d.Agents {
		if err := use("agent "+a, k.Agents[a]); err != nil {
			return err
		}
	}
	return nil
}
