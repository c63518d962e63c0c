package natsauth

import (
	"fmt"
	"path/filepath"
)

// Files are the paths Write wrote: the server's configuration and TLS
// files, and each user's seed file.
type Files struct {
	// Config is the nats-server configuration (nats-server -c Config).
	Config string
	// TLS holds the server's certificate and key, and the CA the clients
	// verify it with.
	TLS TLS
	// Admin is the admin's seed file.
	Admin string
	// Markets holds each shard's seed file, by prefix.
	Markets map[string]string
	// Agents holds each agent's seed file, by id.
	Agents map[string]string
}

// ConfigName is the name of the configuration file Write writes.
const ConfigName = "nats.conf"

// Write writes everything a deployment needs into dir: every user's seed
// file (WriteSeeds), the server's TLS certificate and its CA unless d.TLS
// names them (WriteTLS, for d.Host), and the server's configuration,
// ConfigFile, as dir/nats.conf. Running it again keeps the seeds and the
// certificates. Hand each market and agent its own seed file and the CA
// file, and nothing else. Errors wrap ErrInvalid, ErrSeedFile or ErrTLS.
func Write(dir string, d Deployment) (Files, error) {
	d, err := d.withDefaults()
	if err != nil {
		return Files{}, err
	}
	keys, err := WriteSeeds(dir, d)
	if err != nil {
		return Files{}, err
	}
	if d.TLS.CertFile == "" {
		if d.TLS, err = WriteTLS(dir, d.Host); err != nil {
			return Files{}, err
		}
	}
	conf, err := ConfigFile(d, keys)
	if err != nil {
		return Files{}, err
	}
	f := Files{Config: filepath.Join(dir, ConfigName), TLS: d.TLS, Admin: AdminSeedFile(dir),
		Markets: map[string]string{}, Agents: map[string]string{}}
	if err := writeFile(f.Config, []byte(conf), 0o644); err != nil {
		return Files{}, fmt.Errorf("natsauth: write %s: %w", f.Config, err)
	}
	for _, s := range d.Shards {
		f.Markets[s.Prefix] = MarketSeedFile(dir, s.Prefix)
	}
	for _, a := range d.Agents {
		f.Agents[a] = AgentSeedFile(dir, a)
	}
	return f, nil
}
