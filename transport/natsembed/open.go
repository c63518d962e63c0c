package natsembed

import (
	"context"
	"errors"
	"fmt"

	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// Open starts a Server on opts.DataDir (a new temporary directory if
// empty), waiting for it at most opts.Timeout, and opens a Transport over
// it with opts, as natstransport.Open does with a URL. The Transport owns
// the server: its Close shuts the server down and removes a temporary
// directory. Set DataDir for events that outlive the process.
//
// opts must set neither URL nor Conn (natstransport.ErrConflictingOptions).
// The options are checked before the server starts. Errors are those of
// natstransport.Open, or wrap ErrStart.
func Open(ctx context.Context, opts natstransport.Options) (*natstransport.Transport, error) {
	if opts.URL != "" || opts.Conn != nil {
		return nil, fmt.Errorf("%w: natsembed.Open starts its own server: set no URL or Conn", natstransport.ErrConflictingOptions)
	}
	// natstransport.Open checks the options before it looks for a server,
	// and fails with ErrNoServer for valid ones: nothing is started for
	// invalid options.
	if tr, err := natstransport.Open(ctx, opts); !errors.Is(err, natstransport.ErrNoServer) {
		if err == nil {
			tr.Close()
			err = fmt.Errorf("natsembed: natstransport.Open with no server succeeded")
		}
		return nil, err
	}
	srv, err := Start(Options{DataDir: opts.DataDir, ReadyTimeout: opts.Timeout})
	if err != nil {
		return nil, err
	}
	opts.URL, opts.DataDir = srv.ClientURL(), ""
	tr, err := natstransport.Open(ctx, opts)
	if err != nil {
		srv.Shutdown()
		return nil, err
	}
	if err := tr.Own(closer{srv}); err != nil {
		tr.Close()
		srv.Shutdown()
		return nil, err
	}
	return tr, nil
}

// closer shuts its Server down on Close.
type closer struct{ s *Server }

func (c closer) Close() error {
	c.s.Shutdown()
	return nil
}
