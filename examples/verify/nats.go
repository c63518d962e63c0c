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
//
// Read-only: verify never creates or reconfigures the stream (a live
// market may be writing to it), and learns the prefix from the stream
// unless --prefix is given, which must then match.
func readNATS(ctx context.Context, o options) ([]events.Event, error) {
	if o.Stream == "" {
		return nil, errors.New("--nats needs --stream")
	}
	auth, err := natsAuth(o)
	if err != nil {
		return nil, err
	}
	opts := append([]nats.Option{nats.Name("verify"), nats.Timeout(natstransport.DefaultTimeout)}, auth...)
	nc, err := nats.Connect(o.NATS, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", o.NATS, err)
	}
	defer nc.Close()
	tr, err := natstransport.Open(ctx, natstransport.Options{Conn: nc, Stream: o.Stream, Prefix: o.Prefix, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	return tr.ReadAll(ctx)
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
