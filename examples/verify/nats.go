package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// readNATS reads the whole stream o names from its NATS server.
func readNATS(ctx context.Context, o options) ([]events.Event, error) {
	tr, closeNATS, err := openNATS(ctx, o)
	if err != nil {
		return nil, err
	}
	defer closeNATS()
	return tr.ReadAll(ctx)
}

// openNATS connects to the NATS server of o and opens its stream
// read-only, and returns it with the function that closes it and the
// connection.
//
// Read-only: verify never creates or reconfigures the stream (a live
// market may be writing to it), and learns the prefix from the stream
// unless --prefix is given, which must then match. Reading it creates
// only ephemeral ordered consumers (in memory, unacknowledged), which the
// server removes when the reader goes.
func openNATS(ctx context.Context, o options) (*natstransport.Transport, func(), error) {
	if o.Stream == "" {
		return nil, nil, errors.New("--nats needs --stream")
	}
	auth, err := natsAuth(o)
	if err != nil {
		return nil, nil, err
	}
	opts := append([]nats.Option{nats.Name("verify"), nats.Timeout(natstransport.DefaultTimeout)}, auth...)
	if o.Follow {
		opts = append(opts, nats.MaxReconnects(-1)) // a tail outlives a server's restart
	}
	nc, err := nats.Connect(o.NATS, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connect %s: %w", o.NATS, err)
	}
	tr, err := natstransport.Open(ctx, natstransport.Options{Conn: nc, Stream: o.Stream, Prefix: o.Prefix, ReadOnly: true})
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return tr, func() {
		tr.Close()
		nc.Close()
	}, nil
}

// natsAuth returns the connect options of --creds, or of --user with its
// password from --password-file or $VERIFY_PASSWORD.
func natsAuth(o options) ([]nats.Option, error) {
	switch {
	case o.Creds != "":
		if _, err := os.Stat(o.Creds); err != nil {
			return nil, fmt.Errorf("--creds: %w", err)
		}
		return []nats.Option{nats.UserCredentials(o.Creds)}, nil
	case o.User == "":
		return nil, nil
	}
	password := o.Password
	if o.PasswordFile != "" {
		b, err := os.ReadFile(o.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("--password-file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	if password == "" {
		return nil, fmt.Errorf("--user %s: the password is empty", o.User)
	}
	return []nats.Option{nats.UserInfo(o.User, password)}, nil
}
