package server

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/derive"
	"github.com/spanmap/spanmap/graph/span"
	"github.com/spanmap/spanmap/server/history"
)

func endpoint(id string) derive.Endpoint {
	return derive.Endpoint{ID: id, Name: id, Kind: graph.NodeService}
}

// addCalls adds perMin paired calls from -> to in every minute of
// [start, end), each taking latency, every errEvery-th failing (none when
// 0).
func addCalls(a *agg.Aggregator, from, to string, start, end time.Time, perMin int, latency time.Duration, errEvery int) {
	var obs []derive.Observation
	n := 0
	for m := start; m.Before(end); m = m.Add(time.Minute) {
		for i := range perMin {
			n++
			var tr span.TraceID
			binary.BigEndian.PutUint64(tr[8:], uint64(n)+uint64(m.Unix())<<20)
			obs = append(obs, derive.Observation{
				From: endpoint(from), To: endpoint(to), Kind: graph.EdgeRPC, Operation: "GET /",
				Time:           m.Add(time.Duration(i) * time.Minute / time.Duration(perMin)).UnixNano(),
				ClientDuration: int64(latency), ServerDuration: int64(latency) * 9 / 10, QueueLag: -1,
				Paired: true, Error: errEvery > 0 && n%errEvery == 0, TraceID: tr,
			})
		}
	}
	a.Add("otlp", obs)
}

// writeHistory stores the minutes of [from, to) of a in the store of dir,
// merging the hours that ended before mergeBefore (none when zero), as the
// server's maintenance does for data older than a day.
func writeHistory(t testing.TB, dir string, a *agg.Aggregator, from, to, mergeBefore time.Time) {
	t.Helper()
	st, err := history.Open(dir, history.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.WriteMinutes(a, from, to); err != nil {
		t.Fatal(err)
	}
	if !mergeBefore.IsZero() {
		if _, err := st.MergeHours(mergeBefore, a.Config()); err != nil {
			t.Fatal(err)
		}
	}
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func rangeView(from, to time.Time) string { return "from=" + rfc(from) + "&to=" + rfc(to) }

// subscribeOnce opens the stream, subscribes to view and returns the first
// snapshot or error message.
func subscribeOnce(t *testing.T, base, view string) graph.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/api/v1/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(-1)
	data, _ := json.Marshal(graph.NewSubscribe(view))
	if err := c.Write(ctx, websocket.MessageText, data); err != nil {
		t.Fatal(err)
	}
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("stream of %s: %v", view, err)
		}
		var m graph.Message
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type == graph.MessageSnapshot || m.Type == graph.MessageError {
			return m
		}
	}
}

func TestTimeline_graphDaysAgo(t *testing.T) {
	now := time.Now()
	day3 := now.Add(-72 * time.Hour).Truncate(time.Hour)
	src := agg.New(agg.DefaultConfig())
	addCalls(src, "checkout", "payment", day3, day3.Add(time.Hour), 10, 40*time.Millisecond, 10)
	addCalls(src, "checkout", "legacy", day3.Add(20*time.Minute), day3.Add(30*time.Minute), 6, 5*time.Millisecond, 0)
	// Twenty hours ago, kept as minutes (the server merges minutes older
	// than a day into hours when it starts).
	day2 := now.Add(-20 * time.Hour).Truncate(time.Minute)
	addCalls(src, "checkout", "payment", day2, day2.Add(10*time.Minute), 12, 80*time.Millisecond, 0)
	dir := t.TempDir()
	writeHistory(t, dir, src, day3, day3.Add(time.Hour), now.Add(-60*time.Hour))
	writeHistory(t, dir, src, day2, day2.Add(10*time.Minute), time.Time{})

	cfg := testConfig()
	cfg.DataDir = dir
	s := start(t, cfg)
	base := "http://" + s.Addr("--http-addr")

	snap := fetchGraph(t, base, rangeView(day3, day3.Add(time.Hour)))
	pay, legacy := hasEdge(snap, "checkout", "payment"), hasEdge(snap, "checkout", "legacy")
	if pay == nil || legacy == nil {
		t.Fatalf("the hour three days ago: edges %+v, want checkout->payment and checkout->legacy", snap.Edges)
	}
	if pay.Calls != 600 || pay.Errors != 60 || pay.Rate != graph.RoundFigure(600.0/3600) || legacy.Calls != 60 {
		t.Errorf("checkout->payment = %d calls, %d errors, %v/s; legacy %d calls; want 600, 60, 1/6 and 60",
			pay.Calls, pay.Errors, pay.Rate, legacy.Calls)
	}
	if p99 := pay.Latency.P99; math.Abs(p99-40) > 0.4 {
		t.Errorf("p99 = %v ms, want 40 (within the sketch accuracy)", p99)
	}
	if snap.From != day3.UnixMilli() || snap.To != day3.Add(time.Hour).UnixMilli() {
		t.Errorf("snapshot range %d..%d, want the View's", snap.From, snap.To)
	}

	// Half an hour inside a merged hour counts the hour, at its rate.
	snap = fetchGraph(t, base, rangeView(day3.Add(15*time.Minute), day3.Add(45*time.Minute)))
	if pay := hasEdge(snap, "checkout", "payment"); pay == nil || pay.Calls != 600 || pay.Rate != graph.RoundFigure(600.0/3600) {
		t.Errorf("half hour in a merged hour: %+v, want the hour's 600 calls at 1/6 per second", pay)
	}

	// Minutes twenty hours ago, also through an export and the stream.
	view := rangeView(day2.Add(2*time.Minute), day2.Add(5*time.Minute))
	snap = fetchGraph(t, base, view)
	if pay := hasEdge(snap, "checkout", "payment"); pay == nil || pay.Calls != 36 || math.Abs(pay.Latency.P50-80) > 0.8 || hasEdge(snap, "checkout", "legacy") != nil {
		t.Errorf("three minutes twenty hours ago: %+v, want 36 calls of 80 ms and no legacy edge", snap.Edges)
	}
	code, body := get(t, base+"/api/v1/graph.mmd?"+view)
	if code != 200 || !strings.Contains(body, "checkout") || !strings.Contains(body, "payment") {
		t.Errorf("Mermaid export of %s = %d:\n%s", view, code, body)
	}
	m := subscribeOnce(t, base, view)
	if m.Type != graph.MessageSnapshot || hasEdge(*m.Snapshot, "checkout", "payment") == nil || hasEdge(*m.Snapshot, "checkout", "payment").Calls != 36 {
		t.Errorf("stream of %s: %+v, want a snapshot with 36 calls on checkout->payment", view, m)
	}

	// A range with nothing stored is an empty map, not an error.
	snap = fetchGraph(t, base, rangeView(day3.Add(-24*time.Hour), day3.Add(-23*time.Hour)))
	if len(snap.Edges) != 0 {
		t.Errorf("range before any history: %+v", snap.Edges)
	}
}

func TestTimeline_straddlingRangeCountsEveryMinuteOnce(t *testing.T) {
	now := time.Now()
	first := now.Add(-3 * time.Hour).Truncate(time.Minute)
	last := now.Add(-2 * time.Minute).Truncate(time.Minute) // the last stored minute starts here
	src := agg.New(agg.DefaultConfig())
	addCalls(src, "web", "api", first, last.Add(time.Minute), 6, 20*time.Millisecond, 0)
	dir := t.TempDir()
	writeHistory(t, dir, src, first, last.Add(time.Minute), time.Time{})
	minutes := int64(last.Sub(first)/time.Minute) + 1

	cfg := testConfig()
	cfg.DataDir = dir
	s := start(t, cfg) // restores the last hour into memory
	base := "http://" + s.Addr("--http-addr")
	sendPair(t, s.Addr("--otlp-http-addr"), "checkout", "payment")

	view := rangeView(first, now.Add(2*time.Minute))
	var snap graph.Snapshot
	deadline := time.Now().Add(15 * time.Second)
	for {
		snap = fetchGraph(t, base, view)
		if hasEdge(snap, "checkout", "payment") != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("live call never showed in %s: %+v", view, snap.Edges)
		}
		time.Sleep(100 * time.Millisecond)
	}
	api := hasEdge(snap, "web", "api")
	if api == nil || api.Calls != 6*minutes {
		t.Fatalf("web->api over three hours reaching into memory = %+v, want %d calls (every minute once)", api, 6*minutes)
	}
	if pay := hasEdge(snap, "checkout", "payment"); pay.Calls != 1 || pay.Errors != 1 {
		t.Errorf("live checkout->payment = %+v, want the one failing call", pay)
	}
	secs := now.Add(2 * time.Minute).Sub(first).Seconds()
	if math.Abs(api.Rate-float64(api.Calls)/secs) > 1e-3 {
		t.Errorf("rate = %v, want %v (calls over the range)", api.Rate, float64(api.Calls)/secs)
	}

	// The last hour alone comes from memory, the same minutes.
	inMemory := fetchGraph(t, base, "window=1h")
	if api := hasEdge(inMemory, "web", "api"); api == nil || api.Calls < 6*55 || api.Calls > 6*61 {
		t.Errorf("window=1h: web->api = %+v, want the last hour's minutes", api)
	}
}

func TestTimeline_readFailureIsAnError(t *testing.T) {
	now := time.Now()
	bad := now.Add(-5 * time.Hour).Truncate(time.Minute)
	src := agg.New(agg.DefaultConfig())
	addCalls(src, "web", "api", bad.Add(-10*time.Minute), bad.Add(10*time.Minute), 6, 20*time.Millisecond, 0)
	dir := t.TempDir()
	writeHistory(t, dir, src, bad.Add(-10*time.Minute), bad.Add(10*time.Minute), time.Time{})
	db, err := bolt.Open(dir+"/"+history.FileName, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("minutes")).Put(binary.BigEndian.AppendUint64(nil, uint64(bad.Unix())), []byte("not a rollup"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.DataDir = dir
	s := start(t, cfg)
	base := "http://" + s.Addr("--http-addr")

	view := rangeView(bad.Add(-5*time.Minute), bad.Add(5*time.Minute))
	code, body := get(t, base+"/api/v1/graph?"+view)
	if code != 500 || !strings.Contains(body, "cannot read the history of "+rfc(bad.Add(-5*time.Minute))) || !strings.Contains(body, "minutes") {
		t.Errorf("GET graph over an unreadable minute = %d %s, want 500 naming the range and the minute", code, body)
	}
	if m := subscribeOnce(t, base, view); m.Type != graph.MessageError || !strings.Contains(m.Error, "cannot read the history") {
		t.Errorf("stream over an unreadable minute: %+v, want an error message", m)
	}
	if _, body := get(t, base+"/metrics"); !strings.Contains(body, "spanmap_hub_read_errors_total 1") {
		t.Errorf("/metrics after a failed View read has no spanmap_hub_read_errors_total 1")
	}
	// Ranges around it still read.
	if snap := fetchGraph(t, base, rangeView(bad.Add(-10*time.Minute), bad)); hasEdge(snap, "web", "api") == nil {
		t.Errorf("range before the bad minute: %+v", snap.Edges)
	}
}

// fakeHistory serves ReadMerged from an aggregator, counting reads.
type fakeHistory struct {
	src   *agg.Aggregator
	err   error
	reads atomic.Int32
	mu    sync.Mutex
	read  []string // the ranges read, "15:04-15:04"
}

func (f *fakeHistory) ReadMerged(ctx context.Context, from, to, anchor time.Time, cfg agg.Config) (agg.Rollups, history.Extent, error) {
	f.reads.Add(1)
	f.mu.Lock()
	f.read = append(f.read, from.UTC().Format("15:04")+"-"+to.UTC().Format("15:04"))
	f.mu.Unlock()
	if f.err != nil {
		return agg.Rollups{}, history.Extent{}, f.err
	}
	r, err := f.src.Export(from, to, time.Minute)
	if err != nil {
		return agg.Rollups{}, history.Extent{}, err
	}
	ext := history.Extent{}
	for i := range r.Edges {
		if ext.Empty() || r.Edges[i].Start.Before(ext.From) {
			ext.From = r.Edges[i].Start
		}
		if end := r.Edges[i].Start.Add(time.Minute); ext.Empty() || end.After(ext.To) {
			ext.To = end
		}
		ext.Minutes++
		r.Edges[i].Start = anchor
	}
	return r, ext, nil
}

func TestTimeline_SnapshotContext(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 30, 0, time.UTC)
	mem := agg.New(agg.DefaultConfig())
	old := agg.New(agg.DefaultConfig())
	// The store holds the last minutes too, as it does (flushes write
	// them): they must come from memory only.
	addCalls(old, "a", "b", now.Add(-3*time.Hour), now, 2, time.Millisecond, 0)
	addCalls(mem, "a", "b", now.Add(-64*time.Minute), now, 2, time.Millisecond, 0)
	tl := newTimeline(mem, func() time.Time { return now })
	fh := &fakeHistory{src: old}

	// Without a store, memory answers everything.
	s, err := tl.SnapshotContext(context.Background(), now.Add(-3*time.Hour), now, agg.Options{})
	if err != nil || s.Edges[0].Calls != 128 {
		t.Fatalf("memory only: %+v, %v; want memory's 128 calls", s.Edges, err)
	}
	tl.useStore(fh)
	// Inside memory: no read.
	if s, err := tl.SnapshotContext(context.Background(), now.Add(-time.Hour), now, agg.Options{}); err != nil || s.Edges[0].Calls != 120 || fh.reads.Load() != 0 {
		t.Fatalf("inside memory: %+v, %v, %d reads", s.Edges, err, fh.reads.Load())
	}
	// Straddling: the store up to the memory boundary (12:00:30 - 65m,
	// rounded up to 10:56), memory after it.
	s, err = tl.SnapshotContext(context.Background(), now.Add(-3*time.Hour), now, agg.Options{})
	boundary := time.Date(2026, 3, 2, 10, 56, 0, 0, time.UTC)
	want := old.Snapshot(now.Add(-3*time.Hour).Truncate(time.Minute), boundary, agg.Options{}).Edges[0].Calls +
		mem.Snapshot(boundary, now, agg.Options{}).Edges[0].Calls
	if want != 231+128 {
		t.Fatalf("test data: %d calls, want 231 stored before the boundary and 128 in memory after it", want)
	}
	if err != nil || s.Edges[0].Calls != want {
		t.Fatalf("straddling: %+v, %v; want %d calls", s.Edges, err, want)
	}
	// The stored part is cached: the same range, or one starting within
	// the same minute, reads nothing more, and the cached part is not
	// changed by the answers built on it.
	if _, err := tl.SnapshotContext(context.Background(), now.Add(-3*time.Hour).Add(10*time.Second), now.Add(time.Second), agg.Options{}); err != nil || tl.cache.len() != 1 {
		t.Fatalf("second read: %v, %d cached", err, tl.cache.len())
	}
	again, err := tl.SnapshotContext(context.Background(), now.Add(-3*time.Hour), now, agg.Options{})
	if err != nil || !reflect.DeepEqual(again.Edges, s.Edges) {
		t.Fatalf("the same range from the cache differs:\n got %+v\nwant %+v", again.Edges, s.Edges)
	}
	// A longer range reuses the whole hours read before, and a minute
	// later only the minutes at its ends are read again.
	if _, err := tl.SnapshotContext(context.Background(), now.Add(-4*time.Hour), now, agg.Options{}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	if _, err := tl.SnapshotContext(context.Background(), now.Add(-4*time.Hour), now, agg.Options{}); err != nil {
		t.Fatal(err)
	}
	fh.mu.Lock()
	read := strings.Join(fh.read, " ")
	fh.mu.Unlock()
	if want := "09:00-10:00 10:00-10:56 08:00-09:00 10:00-10:56 08:01-09:00 10:00-10:57"; read != want {
		t.Fatalf("ranges read: %s, want %s", read, want)
	}

	// A failed read is a historyError the HTTP error handler answers with 500.
	fh.err = errors.New("disk on fire")
	_, err = tl.SnapshotContext(context.Background(), now.Add(-5*time.Hour), now, agg.Options{})
	var he *echo.HTTPError
	if !errors.As(err, &he) || he.Code != 500 || !strings.Contains(he.Message.(string), "cannot read the history of 2026-03-02T07:01:30Z..2026-03-02T10:57:00Z: disk on fire") {
		t.Fatalf("failed read = %v (%+v)", err, he)
	}
	if tl.cache.len() != 3 {
		t.Errorf("failed read cached: %d entries, want the 3 read before", tl.cache.len())
	}
	if s := tl.Snapshot(now.Add(-5*time.Hour), now, agg.Options{}); len(s.Edges) != 0 {
		t.Errorf("Snapshot after a failed read = %+v, want empty", s.Edges)
	}
}

func TestPartCache_boundsAndSharing(t *testing.T) {
	c := newPartCache(3, 10)
	var reads atomic.Int32
	gate := make(chan struct{})
	read := func(ctx context.Context, k partKey) (*part, error) {
		reads.Add(1)
		<-gate
		return &part{rollups: agg.Rollups{Edges: make([]agg.EdgeRollup, k.to-k.from)}}, nil
	}
	// Concurrent requests for one range share one read.
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.get(context.Background(), partKey{0, 4}, read); err != nil {
				t.Error(err)
			}
		}()
	}
	// A request that gives up returns without the read.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.get(ctx, partKey{0, 4}, read); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled get = %v", err)
	}
	close(gate)
	wg.Wait()
	if reads.Load() != 1 {
		t.Fatalf("%d reads for one range, want 1", reads.Load())
	}
	// Bounded by rollups: 4 + 4 + 4 > 10 drops the least recently used.
	c.get(context.Background(), partKey{10, 14}, read)
	c.get(context.Background(), partKey{0, 4}, read) // used again
	c.get(context.Background(), partKey{20, 24}, read)
	c.mu.Lock()
	_, kept0 := c.entries[partKey{0, 4}]
	_, kept10 := c.entries[partKey{10, 14}]
	n, rollups := c.lru.Len(), c.rollups
	c.mu.Unlock()
	if !kept0 || kept10 || n != 2 || rollups != 8 {
		t.Errorf("after three parts of 4: kept {0,4} %v, {10,14} %v, %d entries, %d rollups; want the oldest dropped", kept0, kept10, n, rollups)
	}
	// Bounded by entries.
	for i := range 5 {
		c.get(context.Background(), partKey{int64(100 + 10*i), int64(101 + 10*i)}, read)
	}
	if c.len() != 3 {
		t.Errorf("%d entries, want at most 3", c.len())
	}
}

func TestSplitBlocks(t *testing.T) {
	d := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	type b struct {
		from, to time.Time
		whole    bool
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     []b
	}{
		{"inside an hour", at(10, 5), at(10, 50), []b{{at(10, 5), at(10, 50), false}}},
		{"across an hour boundary", at(10, 5), at(11, 10), []b{{at(10, 5), at(11, 10), false}}},
		{"whole hours", at(9, 30), at(12, 15), []b{{at(9, 30), at(10, 0), false}, {at(10, 0), at(11, 0), true}, {at(11, 0), at(12, 0), true}, {at(12, 0), at(12, 15), false}}},
		{"days", at(-2, 0), at(49, 1), []b{{at(-2, 0), at(-1, 0), true}, {at(-1, 0), at(0, 0), true}, {at(0, 0), at(24, 0), true}, {at(24, 0), at(48, 0), true}, {at(48, 0), at(49, 0), true}, {at(49, 0), at(49, 1), false}}},
		{"aligned", at(0, 0), at(24, 0), []b{{at(0, 0), at(24, 0), true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []b
			for _, x := range splitBlocks(tt.from, tt.to) {
				got = append(got, b{x.from, x.to, x.whole})
			}
			if len(got) != len(tt.want) {
				t.Fatalf("splitBlocks = %v, want %v", got, tt.want)
			}
			for i := range got {
				if !got[i].from.Equal(tt.want[i].from) || !got[i].to.Equal(tt.want[i].to) || got[i].whole != tt.want[i].whole {
					t.Fatalf("block %d = %v, want %v (all: %v)", i, got[i], tt.want[i], got)
				}
			}
		})
	}
}
