package browser

import (
	"cmp"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// profileDir is where the figures test writes a CPU profile and a trace of
// the page while it applies diffs, when envProfile names a directory. The
// app is then built with its function names, so the profile names them.
func profileDir() string { return os.Getenv(envProfile) }

// pageProfile records a CPU profile and a timeline trace of a page.
type pageProfile struct {
	p      *browserPage
	mu     sync.Mutex
	events []json.RawMessage
	done   chan struct{}
}

// startProfile starts recording p, when profiling is asked for; it returns
// nil otherwise.
func startProfile(p *browserPage) *pageProfile {
	if profileDir() == "" {
		return nil
	}
	pp := &pageProfile{p: p, done: make(chan struct{})}
	collected := chromedp.Events(p.ctx, tracing.DataCollected)
	complete := chromedp.Events(p.ctx, tracing.TracingComplete)
	go func() {
		for ev, err := range collected {
			if err != nil {
				return
			}
			pp.mu.Lock()
			for _, e := range ev.Value {
				b, _ := json.Marshal(e)
				pp.events = append(pp.events, b)
			}
			pp.mu.Unlock()
		}
	}()
	go func() {
		for _, err := range complete {
			if err == nil {
				close(pp.done)
			}
			return
		}
	}()
	ctx := p.ctx
	_, err := chromedp.Call(ctx, profiler.Enable, cdp.Empty{})
	if err == nil {
		_, err = chromedp.Call(ctx, profiler.SetSamplingInterval, profiler.SetSamplingIntervalParams{Interval: 100})
	}
	if err == nil {
		_, err = chromedp.Call(ctx, profiler.Start, cdp.Empty{})
	}
	if err == nil {
		_, err = chromedp.Call(ctx, tracing.Start, tracing.StartParams{TransferMode: tracing.StartTransferModeReportEvents,
			TraceConfig: &tracing.TraceConfig{IncludedCategories: []string{"devtools.timeline", "blink", "v8"}}})
	}
	if err != nil {
		p.t.Fatalf("starting the profiler: %v", err)
	}
	return pp
}

// stop ends the recording, writes name.cpuprofile and name.trace.json into
// profileDir and logs where the time went.
func (pp *pageProfile) stop(t *testing.T, name string) {
	if pp == nil {
		return
	}
	res, err := chromedp.Call(pp.p.ctx, profiler.Stop, cdp.Empty{})
	if err == nil {
		_, err = chromedp.Call(pp.p.ctx, tracing.End, cdp.Empty{})
	}
	if err != nil {
		t.Fatalf("stopping the profiler: %v", err)
	}
	prof := res.Profile
	<-pp.done
	dir := profileDir()
	if b, err := json.Marshal(prof); err == nil {
		_ = os.WriteFile(filepath.Join(dir, name+".cpuprofile"), b, 0o644)
	}
	pp.mu.Lock()
	events := pp.events
	pp.mu.Unlock()
	if b, err := json.Marshal(map[string]any{"traceEvents": events}); err == nil {
		_ = os.WriteFile(filepath.Join(dir, name+".trace.json"), b, 0o644)
	}
	logProfile(t, prof)
	logTrace(t, events)
}

// logProfile logs the functions with the most self and total time.
func logProfile(t *testing.T, prof *profiler.Profile) {
	byID := map[int64]*profiler.ProfileNode{}
	parent := map[int64]int64{}
	for _, n := range prof.Nodes {
		byID[n.ID] = n
		for _, c := range n.Children {
			parent[c] = n.ID
		}
	}
	self, total := map[string]float64{}, map[string]float64{}
	var all float64
	for i, s := range prof.Samples {
		d := float64(prof.TimeDeltas[i]) / 1000
		all += d
		n := byID[s]
		self[frameName(n.CallFrame)] += d
		seen := map[string]bool{}
		for id, ok := s, true; ok; id, ok = parent[id] {
			name := frameName(byID[id].CallFrame)
			if !seen[name] {
				total[name] += d
				seen[name] = true
			}
		}
	}
	t.Logf("profile: %.0f ms sampled", all)
	top := func(what string, m map[string]float64, n int) {
		type kv struct {
			k string
			v float64
		}
		var xs []kv
		for k, v := range m {
			xs = append(xs, kv{k, v})
		}
		slices.SortFunc(xs, func(a, b kv) int { return cmp.Compare(b.v, a.v) })
		for _, x := range xs[:min(n, len(xs))] {
			t.Logf("profile %s: %8.1f ms  %s", what, x.v, x.k)
		}
	}
	top("self", self, 60)
	top("total", total, 80)
}

func frameName(f *runtime.CallFrame) string {
	name := f.FunctionName
	if name == "" {
		name = "(anonymous)"
	}
	if f.URL != "" && len(name) < 4 {
		name += " " + filepath.Base(f.URL)
	}
	return name
}

// logTrace logs the total duration of the renderer's main-thread events
// by name.
func logTrace(t *testing.T, events []json.RawMessage) {
	type ev struct {
		Name string  `json:"name"`
		Ph   string  `json:"ph"`
		Dur  float64 `json:"dur"`
		Tid  int64   `json:"tid"`
		Pid  int64   `json:"pid"`
		Args struct {
			Name string `json:"name"`
		} `json:"args"`
	}
	var evs []ev
	main := map[[2]int64]bool{}
	for _, raw := range events {
		var e ev
		if json.Unmarshal(raw, &e) != nil {
			continue
		}
		if e.Ph == "M" && e.Name == "thread_name" && e.Args.Name == "CrRendererMain" {
			main[[2]int64{e.Pid, e.Tid}] = true
		}
		evs = append(evs, e)
	}
	sum, count := map[string]float64{}, map[string]int{}
	for _, e := range evs {
		if e.Ph == "X" && main[[2]int64{e.Pid, e.Tid}] {
			sum[e.Name] += e.Dur / 1000
			count[e.Name]++
		}
	}
	names := make([]string, 0, len(sum))
	for k := range sum {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(sum[b], sum[a]) })
	for _, n := range names[:min(30, len(names))] {
		t.Logf("trace: %8.1f ms in %5d × %s", sum[n], count[n], n)
	}
}
