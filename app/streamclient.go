package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/spanmap/spanmap/graph"
)

// Stream client limits.
const (
	// streamReadLimit bounds one message (a large snapshot).
	streamReadLimit = 64 << 20
	// streamIdleTimeout ends a connection that brought no message at all
	// (the server sends status every few seconds) so a half-open
	// connection is replaced.
	streamIdleTimeout = 45 * time.Second
	// streamWriteTimeout bounds one subscribe write.
	streamWriteTimeout = 10 * time.Second
)

// connState is the stream connection's state as shown to users.
type connState struct {
	// connected is set while a connection is open.
	connected bool
	// err is why the last connection attempt or connection ended.
	err string
	// retryIn is the wait before the next attempt, when disconnected.
	retryIn time.Duration
	// rejected is set when the server refused the page's embed token for
	// good (err says why): the client has stopped reconnecting.
	rejected bool
}

// RejectedError is the server refusing the page's embed token for good:
// it is not valid, has expired, or is for another View. Reason is the
// server's message.
type RejectedError struct {
	Reason string
}

// Error implements error.
func (e *RejectedError) Error() string { return e.Reason }

// embedTokenReason is how every server message about an embed token
// begins.
const embedTokenReason = "embed token"

// streamClient keeps one websocket connection to the server's stream,
// reconnecting with capped exponential backoff, and subscribes it to the
// current view (again after every reconnect). Messages go to a callback
// from the goroutine that runs run; run and subscribe are meant for
// app.Context.Async.
type streamClient struct {
	url  string
	base time.Duration
	max  time.Duration
	idle time.Duration

	// probe, when set, is asked after a connection attempt that brought
	// nothing whether the server refuses the page's credentials (a
	// browser does not see why a websocket handshake failed); a
	// *RejectedError from it ends run.
	probe func(ctx context.Context, view string) error

	mu   sync.Mutex
	conn *websocket.Conn // nil while disconnected
	view string          // the view query to subscribe to
}

// newStreamClient returns a client for the websocket at url that will
// subscribe to view.
func newStreamClient(url, view string) *streamClient {
	return &streamClient{url: url, view: view, base: ReconnectBase, max: ReconnectMax, idle: streamIdleTimeout}
}

// run connects, subscribes and reads until ctx ends or the server
// rejects the embed token, reconnecting after every other failure. onMsg
// gets every message; onState every connection change. Both are called
// from run's goroutine.
func (c *streamClient) run(ctx context.Context, onMsg func(graph.Message), onState func(connState)) {
	attempt := 0
	for ctx.Err() == nil {
		got, err := c.session(ctx, onMsg, onState)
		if ctx.Err() != nil {
			return
		}
		var rej *RejectedError
		if !got && c.probe != nil && !errors.As(err, &rej) {
			c.mu.Lock()
			view := c.view
			c.mu.Unlock()
			if perr := c.probe(ctx, view); errors.As(perr, &rej) {
				err = perr
			}
		}
		if errors.As(err, &rej) {
			onState(connState{err: rej.Reason, rejected: true})
			return
		}
		if got {
			attempt = 0
		}
		wait := Backoff(attempt, c.base, c.max, rand.Float64())
		attempt++
		onState(connState{err: err.Error(), retryIn: wait})
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// session runs one connection: dial, subscribe, read until it fails. It
// reports whether any message arrived, and why the connection ended.
func (c *streamClient) session(ctx context.Context, onMsg func(graph.Message), onState func(connState)) (bool, error) {
	conn, _, err := websocket.Dial(ctx, c.url, nil)
	if err != nil {
		return false, fmt.Errorf("connect to %s: %w", c.url, err)
	}
	conn.SetReadLimit(streamReadLimit)
	c.mu.Lock()
	c.conn = conn
	view := c.view
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.conn = nil
		c.mu.Unlock()
		conn.CloseNow()
	}()
	onState(connState{connected: true})
	if err := write(ctx, conn, subscribeMessage(view)); err != nil {
		return false, err
	}
	got := false
	for {
		rctx, cancel := context.WithTimeout(ctx, c.idle)
		typ, data, err := conn.Read(rctx)
		cancel()
		if err != nil {
			return got, readError(err)
		}
		if typ != websocket.MessageText && typ != websocket.MessageBinary {
			continue
		}
		start := perfNow()
		m, err := graph.DecodeMessage(data)
		if err != nil {
			return got, fmt.Errorf("decode stream message: %w", err)
		}
		perfMeasure(measureDecode, start)
		got = true
		onMsg(m)
	}
}

// readError words why reading from the stream ended. A close for an
// embed token (expired, or for another View) is a *RejectedError.
func readError(err error) error {
	switch websocket.CloseStatus(err) {
	case websocket.StatusPolicyViolation:
		var ce websocket.CloseError
		if errors.As(err, &ce) && strings.HasPrefix(ce.Reason, embedTokenReason) {
			return &RejectedError{Reason: ce.Reason}
		}
		return errors.New("the server closed the stream: this browser fell behind")
	case websocket.StatusGoingAway:
		return errors.New("the server is restarting")
	case -1:
		if errors.Is(err, context.DeadlineExceeded) {
			return errors.New("no message from the server for a while")
		}
		return fmt.Errorf("stream lost: %w", err)
	default:
		return fmt.Errorf("stream closed: %w", err)
	}
}

// subscribe switches the subscription to view, now when connected and on
// every reconnect. Subscribing to the current view again asks the server
// for a fresh snapshot.
func (c *streamClient) subscribe(ctx context.Context, view string) error {
	c.mu.Lock()
	c.view = view
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return nil // run subscribes when it connects
	}
	return write(ctx, conn, subscribeMessage(view))
}

// subscribeMessage asks for view in binary frames: the browser hands their
// bytes to WebAssembly as they are, where a text frame's string would be
// encoded anew (a few milliseconds for the diff of a large map).
func subscribeMessage(view string) graph.Message {
	m := graph.NewSubscribe(view)
	m.Frames = graph.FramesBinary
	return m
}

// write sends one message with a timeout.
func write(ctx context.Context, conn *websocket.Conn, m graph.Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s message: %w", m.Type, err)
	}
	ctx, cancel := context.WithTimeout(ctx, streamWriteTimeout)
	defer cancel()
	if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("send %s: %w", m.Type, err)
	}
	return nil
}

// maxProbeBody bounds the part of a probed page that is read.
const maxProbeBody = 64 << 10

// probeAccess fetches page (an address the page's credentials should
// open, such as the embed page of its View) and returns a *RejectedError
// with the server's message when the server answers 401 or 403, nil for
// any other answer or a network error (the stream's own retries cover
// those). It blocks.
func probeAccess(ctx context.Context, page string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
	if err != nil {
		return nil
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, maxProbeBody)
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		io.Copy(io.Discard, body)
		return nil
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.NewDecoder(body).Decode(&e) != nil || e.Error == "" {
		e.Error = "the server refused access: " + resp.Status
	}
	return &RejectedError{Reason: e.Error}
}
