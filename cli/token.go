package cli

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/server"
	"github.com/spanmap/spanmap/server/token"
)

// tokenOptions are the flags of `spanmap token`.
type tokenOptions struct {
	view    string
	ttl     string
	keyFile string
	config  string
	baseURL string
}

// runToken prints a read-only embed token for one View, signed with the
// server's key, so docs pipelines can mint tokens without a running
// server.
func runToken(_ context.Context, args []string, s IO) error {
	var o tokenOptions
	fs := newFlagSet("token")
	fs.StringVar(&o.view, "view", "", "the View: its query string (focus=checkout&window=1h) or a map URL")
	fs.StringVar(&o.ttl, "ttl", "720h", "lifetime: a duration such as 720h, or days such as 30d")
	fs.StringVar(&o.keyFile, "key-file", "", "the server's embed key file (embed.key_file)")
	fs.StringVar(&o.config, "config", "", "the server's YAML configuration, to read its embed key and max_ttl")
	fs.StringVar(&o.baseURL, "base-url", "", "print the embed page URL on this server (e.g. https://spanmap.example.com) instead of the bare token")
	if err := parseFlags(fs, args, s.Stderr); err != nil {
		return err
	}
	v, err := parseViewArg(o.view)
	if err != nil {
		return err
	}
	key, maxTTL, err := o.key()
	if err != nil {
		return err
	}
	ttl, err := server.ParseTokenTTL(o.ttl, maxTTL)
	if err != nil {
		return &UsageError{Err: fmt.Errorf("--%w", err)}
	}
	signer, err := token.NewSigner(key, nil)
	if err != nil {
		return &UsageError{Err: err}
	}
	tok, _, err := signer.Mint(v, ttl)
	if err != nil {
		return &UsageError{Err: err}
	}
	if o.baseURL != "" {
		_, err = fmt.Fprintln(s.Stdout, strings.TrimSuffix(o.baseURL, "/")+server.EmbedURL(v, tok))
		return err
	}
	_, err = fmt.Fprintln(s.Stdout, tok)
	return err
}

// key returns the signing key and the longest lifetime allowed (the
// configuration's embed.max_ttl; unbounded for a bare key file).
func (o tokenOptions) key() ([]byte, time.Duration, error) {
	switch {
	case o.keyFile != "" && o.config != "":
		return nil, 0, usageErrorf("give --key-file or --config, not both")
	case o.keyFile != "":
		k, err := token.ReadKeyFile(o.keyFile)
		if err != nil {
			return nil, 0, &UsageError{Err: fmt.Errorf("--key-file: %w", err)}
		}
		return k, time.Duration(math.MaxInt64), nil
	case o.config != "":
		cfg := server.DefaultConfig()
		if err := cfg.LoadFile(o.config); err != nil {
			return nil, 0, &UsageError{Err: fmt.Errorf("--config: %w", err)}
		}
		k, err := cfg.Embed.LoadKey()
		if err != nil {
			return nil, 0, &UsageError{Err: fmt.Errorf("--config %s: %w", o.config, err)}
		}
		if k == nil {
			return nil, 0, usageErrorf("--config %s sets no embed.key_file or embed.key: the server then signs with a random key of its own; set embed.key_file", o.config)
		}
		return k, cfg.Embed.MaxTTL, nil
	}
	return nil, 0, usageErrorf("--key-file or --config is required (the key the server signs embed tokens with)")
}

// parseViewArg reads a --view value: a View's query string, with or
// without the leading '?', or the URL of a map page or export, whose
// access_token and token parameters are dropped.
func parseViewArg(s string) (graph.View, error) {
	q := strings.TrimPrefix(strings.TrimSpace(s), "?")
	if strings.Contains(q, "://") || strings.HasPrefix(q, "/") {
		u, err := url.Parse(q)
		if err != nil {
			return graph.View{}, usageErrorf("--view: %v", err)
		}
		q = u.RawQuery
	}
	v, err := graph.ParseView(q, "access_token", "token")
	if err != nil {
		return graph.View{}, &UsageError{Err: fmt.Errorf("--view: %w", err)}
	}
	return v, nil
}
