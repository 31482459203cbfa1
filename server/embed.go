package server

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/server/token"
)

// EmbedConfig configures maps shown inside other sites: which sites may
// frame the /embed page, and the key of read-only embed tokens.
type EmbedConfig struct {
	// FrameAncestors are the Content-Security-Policy frame-ancestors
	// sources allowed to show /embed in an iframe, e.g.
	// ["https://*.atlassian.net", "https://www.notion.so"]. The default,
	// 'self', allows spanmap's own pages only.
	FrameAncestors []string `yaml:"frame_ancestors"`
	// Key signs embed tokens: at least 32 bytes. Prefer KeyFile, which
	// keeps the key out of the configuration file.
	Key string `yaml:"key"`
	// KeyFile holds the key (surrounding white space is ignored), e.g.
	// made with `head -c 48 /dev/urandom | base64 > embed.key`. Without
	// Key or KeyFile, a random key is made at start and tokens stop
	// working when spanmap restarts. Changing the key revokes every token.
	KeyFile string `yaml:"key_file"`
	// MaxTTL bounds the lifetime of the tokens the server mints.
	MaxTTL time.Duration `yaml:"max_ttl"`
}

// DefaultEmbedConfig returns the embedding defaults: framing by spanmap's
// own pages only, a random key, tokens of at most a year.
func DefaultEmbedConfig() EmbedConfig {
	return EmbedConfig{FrameAncestors: []string{"'self'"}, MaxTTL: 365 * 24 * time.Hour}
}

// Validate reports the first invalid embed setting, reading the key file
// so that a missing or short key stops the server at start.
func (c EmbedConfig) Validate() error {
	if len(c.FrameAncestors) == 0 {
		return errors.New("embed.frame_ancestors: must not be empty (use \"'none'\" to forbid framing)")
	}
	for i, src := range c.FrameAncestors {
		if err := checkFrameSource(src); err != nil {
			return fmt.Errorf("embed.frame_ancestors[%d]: %w", i, err)
		}
		if src == "'none'" && len(c.FrameAncestors) > 1 {
			return errors.New("embed.frame_ancestors: 'none' cannot be combined with other sources")
		}
	}
	if c.MaxTTL < time.Minute {
		return fmt.Errorf("embed.max_ttl: must be at least 1m, got %s", c.MaxTTL)
	}
	_, err := c.LoadKey()
	return err
}

// checkFrameSource accepts a CSP keyword ('self', 'none'), a scheme
// ("https:") or a host source ("https://*.atlassian.net", "example.com").
func checkFrameSource(src string) error {
	switch {
	case src == "'self'" || src == "'none'":
		return nil
	case strings.HasPrefix(src, "'"):
		return fmt.Errorf("%q: the only keywords allowed are 'self' and 'none'", src)
	case src == "" || strings.ContainsAny(src, " \t\r\n;,'\""):
		return fmt.Errorf("%q: want one source such as https://wiki.example.com, without spaces, commas or semicolons", src)
	}
	return nil
}

// LoadKey returns the configured signing key: Key, or the content of
// KeyFile; nil when neither is set.
func (c EmbedConfig) LoadKey() ([]byte, error) {
	switch {
	case c.Key != "" && c.KeyFile != "":
		return nil, errors.New("embed: set key or key_file, not both")
	case c.KeyFile != "":
		return token.ReadKeyFile(c.KeyFile)
	case c.Key != "":
		k := []byte(strings.TrimSpace(c.Key))
		if len(k) < token.MinKeyLen {
			return nil, fmt.Errorf("embed.key: %w, got %d", token.ErrKeyTooShort, len(k))
		}
		return k, nil
	}
	return nil, nil
}

// frameAncestors is the Content-Security-Policy of the /embed page.
func (c EmbedConfig) frameAncestors() string {
	return "frame-ancestors " + strings.Join(c.FrameAncestors, " ")
}

// framing sets who may frame UI responses: the configured frame ancestors
// for the /embed page, without X-Frame-Options (which cannot name other
// sites, and would win in older browsers) even if the UI handler sets one;
// spanmap's own pages only for everything else.
func (e *embedAuth) framing(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		if c.Request().URL.Path != pathEmbed {
			h.Set("X-Frame-Options", "SAMEORIGIN")
			h.Set("Content-Security-Policy", "frame-ancestors 'self'")
			return next(c)
		}
		policy := e.cfg.frameAncestors()
		h.Set("Content-Security-Policy", policy)
		c.Response().Before(func() {
			h.Del("X-Frame-Options")
			h.Set("Content-Security-Policy", policy)
		})
		return next(c)
	}
}

// stream serves the websocket stream with h (the hub). A request admitted
// by an embed token gets a guarded connection: it may only subscribe to
// the token's View, and it is closed when the token expires.
func (e *embedAuth) stream(h http.Handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		cl, ok := embedClaimsFrom(r.Context())
		if !ok {
			h.ServeHTTP(c.Response(), r)
			return nil
		}
		gw := &guardWriter{ResponseWriter: c.Response(), claims: cl, now: e.now}
		h.ServeHTTP(gw, r)
		return nil
	}
}

// guardWriter hands the websocket library a connection whose client
// messages pass a guard on their way to the hub.
type guardWriter struct {
	http.ResponseWriter
	claims token.Claims
	now    func() time.Time
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *guardWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack takes over the connection like the wrapped writer does, and
// returns it with the guard in front of its reads.
func (w *guardWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	buffered, _ := brw.Reader.Peek(brw.Reader.Buffered())
	g := &guardConn{
		Conn:    conn,
		src:     io.MultiReader(bytes.NewReader(bytes.Clone(buffered)), conn),
		allowed: w.claims.ViewKey(),
		expires: w.claims.Expires,
		buf:     make([]byte, 4096),
	}
	g.timer = time.AfterFunc(w.claims.Expires.Sub(w.now()), g.expire)
	return g, bufio.NewReadWriter(bufio.NewReader(g), brw.Writer), nil
}

// maxGuardedMessage bounds a client message on a guarded connection, in
// bytes, compressed and inflated; the hub's own limit is the same by
// default and subscribe messages are far smaller.
const maxGuardedMessage = 64 << 10

// WebSocket opcodes and close codes the guard uses (RFC 6455).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8

	closePolicyViolation = 1008
	closeTooBig          = 1009
)

// Messages a guarded connection closes with.
const (
	msgOtherView  = "embed token is for another view"
	msgTooBig     = "message too big"
	msgUnreadable = "message could not be read"
)

// guardConn passes the client's websocket frames to the hub unchanged,
// whole frames at a time, and reads every complete text message on the
// way. A subscribe message for a View other than the token's is not
// passed on: the hub receives a close frame from the client instead, with
// status 1008 and the reason, which it echoes to the client before
// closing. When the token expires, a pending read ends the same way. The
// guard never consumes a message the hub would otherwise have seen.
//
// Compressed messages (permessage-deflate) are inflated with the window
// of the previous ones, which covers context takeover too. Reads come
// from one goroutine (the hub's reader); expire may run on another.
type guardConn struct {
	net.Conn
	src     io.Reader
	allowed string
	expires time.Time
	timer   *time.Timer
	expired atomic.Bool

	buf  []byte // read buffer
	in   []byte // bytes read, not yet a whole frame
	out  []byte // whole frames judged, waiting for the hub
	done bool   // a close frame was put in place; nothing more is read

	// The data message being received.
	msg        []byte
	msgOp      byte
	compressed bool
	// window holds the last 32 KiB of inflated compressed messages.
	window []byte
}

// Read gives the hub judged frames.
func (g *guardConn) Read(p []byte) (int, error) {
	for len(g.out) == 0 {
		if g.done {
			return 0, io.EOF
		}
		if err := g.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, g.out)
	g.out = g.out[n:]
	return n, nil
}

// Close stops the expiry timer and closes the connection.
func (g *guardConn) Close() error {
	g.timer.Stop()
	return g.Conn.Close()
}

// expire ends the connection's reads once the token has expired.
func (g *guardConn) expire() {
	g.expired.Store(true)
	g.Conn.SetReadDeadline(time.Now())
}

// fill reads once from the client and judges the frames completed.
func (g *guardConn) fill() error {
	n, err := g.src.Read(g.buf)
	g.in = append(g.in, g.buf[:n]...)
	for !g.done && g.nextFrame() {
	}
	if err == nil || len(g.out) > 0 || g.done {
		return nil
	}
	if g.expired.Load() {
		g.refuse(closePolicyViolation, (&token.ExpiredError{At: g.expires}).Error())
		return nil
	}
	return err
}

// nextFrame moves the first frame of in to out when it is complete and
// allowed, and reports whether it did.
func (g *guardConn) nextFrame() bool {
	hlen, plen, ok := frameHeader(g.in)
	if !ok {
		return false
	}
	if plen > maxGuardedMessage {
		g.refuse(closeTooBig, msgTooBig)
		return false
	}
	total := hlen + int(plen)
	if len(g.in) < total {
		return false
	}
	frame := g.in[:total:total]
	g.in = g.in[total:]
	op, fin := frame[0]&0x0f, frame[0]&0x80 != 0
	if op >= opClose { // control frames go through as they are
		g.out = append(g.out, frame...)
		return true
	}
	payload := unmask(frame, hlen)
	if op != opContinuation {
		g.msg, g.msgOp, g.compressed = g.msg[:0], op, frame[0]&0x40 != 0
	}
	g.msg = append(g.msg, payload...)
	if len(g.msg) > maxGuardedMessage {
		g.refuse(closeTooBig, msgTooBig)
		return false
	}
	if fin {
		if reason := g.judge(); reason != "" {
			g.refuse(closePolicyViolation, reason)
			return false
		}
	}
	g.out = append(g.out, frame...)
	return true
}

// judge reads the complete message in g.msg and returns why it may not
// reach the hub, or "" when it may. Messages that are not a valid
// subscribe go through: the hub answers them with an error message.
func (g *guardConn) judge() string {
	if g.msgOp != opText {
		return ""
	}
	data := g.msg
	if g.compressed {
		var err error
		if data, err = g.inflate(data); err != nil {
			return msgUnreadable
		}
	}
	var m graph.Message
	if json.Unmarshal(data, &m) != nil || m.Type != graph.MessageSubscribe {
		return ""
	}
	v, err := graph.ParseView(m.View)
	if err != nil || v.Encode() == g.allowed {
		return ""
	}
	return msgOtherView
}

// inflate decompresses a permessage-deflate message and remembers its
// text as the window of the next one.
func (g *guardConn) inflate(p []byte) ([]byte, error) {
	src := io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}))
	fr := flate.NewReaderDict(src, g.window)
	defer fr.Close()
	data, err := io.ReadAll(io.LimitReader(fr, maxGuardedMessage+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxGuardedMessage {
		return nil, errors.New(msgTooBig)
	}
	g.window = append(g.window, data...)
	if over := len(g.window) - 32<<10; over > 0 {
		g.window = append(g.window[:0], g.window[over:]...)
	}
	return data, nil
}

// refuse drops everything not yet passed on and hands the hub a close
// frame from the client with code and reason instead.
func (g *guardConn) refuse(code uint16, reason string) {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	payload := binary.BigEndian.AppendUint16(nil, code)
	payload = append(payload, reason...)
	var key [4]byte
	rand.Read(key[:])
	frame := append([]byte{0x80 | opClose, 0x80 | byte(len(payload))}, key[:]...)
	for i, b := range payload {
		frame = append(frame, b^key[i%4])
	}
	g.out = append(g.out, frame...)
	g.in, g.msg, g.done = nil, nil, true
}

// frameHeader returns the header and payload lengths of the frame at the
// start of b, or ok false when b does not hold the whole header yet.
func frameHeader(b []byte) (hlen int, plen uint64, ok bool) {
	if len(b) < 2 {
		return 0, 0, false
	}
	hlen = 2
	switch l := b[1] & 0x7f; l {
	case 126:
		hlen += 2
		if len(b) < hlen {
			return 0, 0, false
		}
		plen = uint64(binary.BigEndian.Uint16(b[2:]))
	case 127:
		hlen += 8
		if len(b) < hlen {
			return 0, 0, false
		}
		plen = binary.BigEndian.Uint64(b[2:])
	default:
		plen = uint64(l)
	}
	if b[1]&0x80 != 0 {
		hlen += 4
	}
	return hlen, plen, len(b) >= hlen
}

// unmask returns a copy of the frame's payload, unmasked.
func unmask(frame []byte, hlen int) []byte {
	p := bytes.Clone(frame[hlen:])
	if frame[1]&0x80 == 0 {
		return p
	}
	key := frame[hlen-4 : hlen]
	for i := range p {
		p[i] ^= key[i%4]
	}
	return p
}
