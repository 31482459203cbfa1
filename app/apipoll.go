package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// apiPoll keeps the answer of one JSON endpoint current for what the page
// shows: it loads again when the question (key) changes, and every
// refresh while the answer can still change (a live View). At most one
// request is in flight; a question asked meanwhile is loaded after it,
// when the page's clock next calls sync. It is not a component: its owner
// calls it on the UI goroutine.
type apiPoll[T any] struct {
	// key is the question of the latest request, at when it started.
	key      string
	at       time.Time
	inflight bool
	// val answers valKey; err says why the latest request failed.
	val    T
	valKey string
	have   bool
	err    string
}

// due reports whether key must be loaded at now: a new question, or an
// answer older than refresh (0: never refreshed).
func (p *apiPoll[T]) due(key string, refresh time.Duration, now time.Time) bool {
	if p.inflight {
		return false
	}
	return key != p.key || (refresh > 0 && now.Sub(p.at) >= refresh)
}

// current reports whether the answer held is the one of key.
func (p *apiPoll[T]) current(key string) bool { return p.have && p.valKey == key }

// clear forgets the question and the answer (the feature was turned off).
func (p *apiPoll[T]) clear() {
	var zero T
	p.key, p.val, p.valKey, p.have, p.err = "", zero, "", false, ""
}

// sync loads u for key when due: in ctx.Async, the answer applied in
// ctx.Dispatch.
func (p *apiPoll[T]) sync(ctx app.Context, key, u string, refresh time.Duration, now time.Time) {
	if !p.due(key, refresh, now) {
		return
	}
	p.key, p.at, p.inflight = key, now, true
	ctx.Async(func() {
		var v T
		err := fetchJSON(u, &v)
		ctx.Dispatch(func(ctx app.Context) { p.done(key, v, err) })
	})
}

// done records the answer to key.
func (p *apiPoll[T]) done(key string, v T, err error) {
	p.inflight = false
	if err != nil {
		p.err = err.Error()
		return
	}
	p.val, p.valKey, p.have, p.err = v, key, true, ""
}

// fetchJSON GETs u and decodes its JSON body into v. A non-200 answer is
// an error carrying the server's message ({"error": "..."}).
func fetchJSON(u string, v any) error {
	resp, err := http.Get(u)
	if err != nil {
		return fmt.Errorf("load %s: %w", pathOf(u), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("load %s: %s", pathOf(u), apiErrorText(resp))
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("load %s: %w", pathOf(u), err)
	}
	return nil
}

// apiErrorText is the message of an error answer, or its status.
func apiErrorText(resp *http.Response) string {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	if s := strings.TrimSpace(string(body)); s != "" && len(s) < 200 && !strings.HasPrefix(s, "<") {
		return resp.Status + ": " + s
	}
	return resp.Status
}

// pathOf returns the path of an address, for messages.
func pathOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.IndexByte(u, '/'); j >= 0 {
			u = u[j:]
		}
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	return u
}
