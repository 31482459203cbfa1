package cli

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// contractDoc is the documented JSON of `spanmap derive` (README.md, "spanmap
// derive"), with the fields whose relations the contract promises.
type contractDoc struct {
	FromMs int64 `json:"from_ms"`
	ToMs   int64 `json:"to_ms"`
	Nodes  []struct {
		ID    string `json:"id"`
		Kind  string `json:"kind"`
		Stats struct {
			Calls  int64 `json:"calls"`
			Errors int64 `json:"errors"`
		} `json:"stats"`
	} `json:"nodes"`
	Edges []struct {
		ID        string           `json:"id"`
		From      string           `json:"from"`
		To        string           `json:"to"`
		Kind      string           `json:"kind"`
		Calls     int64            `json:"calls"`
		Errors    int64            `json:"errors"`
		Rate      float64          `json:"rate"`
		ErrorRate float64          `json:"error_rate"`
		Latency   *contractLatency `json:"latency_ms"`
		Client    *contractLatency `json:"client_latency_ms"`
		Server    *contractLatency `json:"server_latency_ms"`
		QueueLag  *contractLatency `json:"queue_lag_ms"`
		Trust     struct {
			Paired       int64   `json:"paired"`
			Unpaired     int64   `json:"unpaired"`
			Dropped      int64   `json:"dropped"`
			LastSeenMs   int64   `json:"last_seen_ms"`
			SamplingRate float64 `json:"sampling_rate"`
		} `json:"trust"`
		Exemplars []struct {
			Role    string `json:"role"`
			TraceID string `json:"trace_id"`
			TimeMs  int64  `json:"time_ms"`
		} `json:"exemplars"`
	} `json:"edges"`
	Derivation *struct {
		Completed int64 `json:"completed"`
		Unpaired  int64 `json:"unpaired"`
	} `json:"derivation"`
}

type contractLatency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

func (l *contractLatency) ordered() bool {
	return l == nil || 0 <= l.P50 && l.P50 <= l.P90 && l.P90 <= l.P95 && l.P95 <= l.P99
}

// TestGolden_contract checks every golden output against the promises of the
// JSON contract: nodes and edges sorted and unique, kinds from the documented
// sets, edges between listed nodes, counts, rates and quantiles consistent,
// at most three exemplars of the three roles, and every derived call on an
// edge. It catches a golden file rewritten from broken output.
func TestGolden_contract(t *testing.T) {
	goldens, err := filepath.Glob(filepath.Join(goldenDir, "*.golden.json"))
	if err != nil || len(goldens) < 40 {
		t.Fatalf("%d golden outputs, %v", len(goldens), err)
	}
	nodeKinds := []string{"service", "database", "messaging", "external", "user", "group"}
	edgeKinds := []string{"rpc", "messaging", "database", "external"}
	roles := []string{"slowest", "error", "typical"}
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		var d contractDoc
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", g, err)
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Errorf("%s: "+format, append([]any{g}, args...)...)
		}
		if d.Derivation == nil {
			fail("no derivation counters")
			continue
		}
		nodes := map[string]bool{}
		for i, n := range d.Nodes {
			if i > 0 && d.Nodes[i-1].ID >= n.ID {
				fail("nodes not sorted and unique at %q", n.ID)
			}
			nodes[n.ID] = true
			if !slices.Contains(nodeKinds, n.Kind) {
				fail("node %s: kind %q", n.ID, n.Kind)
			}
			if n.Stats.Errors < 0 || n.Stats.Errors > n.Stats.Calls {
				fail("node %s: %d errors of %d calls", n.ID, n.Stats.Errors, n.Stats.Calls)
			}
		}
		secs := float64(d.ToMs-d.FromMs) / 1000
		var paired, unpaired int64
		for i, e := range d.Edges {
			if i > 0 && d.Edges[i-1].ID >= e.ID {
				fail("edges not sorted and unique at %q", e.ID)
			}
			if e.ID != e.From+"->"+e.To || !nodes[e.From] || !nodes[e.To] {
				fail("edge %q: from %q to %q, not both listed nodes", e.ID, e.From, e.To)
			}
			if !slices.Contains(edgeKinds, e.Kind) {
				fail("edge %s: kind %q", e.ID, e.Kind)
			}
			if e.Calls < 1 || e.Errors < 0 || e.Errors > e.Calls {
				fail("edge %s: %d errors of %d calls", e.ID, e.Errors, e.Calls)
			}
			if secs <= 0 || math.Abs(e.Rate-float64(e.Calls)/secs) > 1e-3*e.Rate {
				fail("edge %s: rate %v for %d calls over %v s", e.ID, e.Rate, e.Calls, secs)
			}
			if math.Abs(e.ErrorRate-float64(e.Errors)/float64(e.Calls)) > 1e-3 {
				fail("edge %s: error rate %v for %d of %d", e.ID, e.ErrorRate, e.Errors, e.Calls)
			}
			if e.Latency == nil || !e.Latency.ordered() || !e.Client.ordered() || !e.Server.ordered() || !e.QueueLag.ordered() {
				fail("edge %s: latency quantiles missing or out of order", e.ID)
			}
			if e.QueueLag != nil && e.Kind != "messaging" {
				fail("edge %s: queue lag on a %s edge", e.ID, e.Kind)
			}
			if e.Trust.Paired+e.Trust.Unpaired != e.Calls || e.Trust.Dropped < 0 {
				fail("edge %s: trust %+v for %d calls", e.ID, e.Trust, e.Calls)
			}
			if e.Trust.LastSeenMs < d.FromMs || e.Trust.LastSeenMs >= d.ToMs {
				fail("edge %s: last seen %d outside %d..%d", e.ID, e.Trust.LastSeenMs, d.FromMs, d.ToMs)
			}
			if e.Trust.SamplingRate < 0 || e.Trust.SamplingRate > 1 {
				fail("edge %s: sampling rate %v", e.ID, e.Trust.SamplingRate)
			}
			paired += e.Trust.Paired
			unpaired += e.Trust.Unpaired
			if len(e.Exemplars) == 0 || len(e.Exemplars) > 3 {
				fail("edge %s: %d exemplars", e.ID, len(e.Exemplars))
			}
			var seen []string
			for _, x := range e.Exemplars {
				if !slices.Contains(roles, x.Role) || slices.Contains(seen, x.Role) || len(x.TraceID) != 32 {
					fail("edge %s: exemplar %+v", e.ID, x)
				}
				seen = append(seen, x.Role)
			}
			if slices.Contains(seen, "error") != (e.Errors > 0) || !slices.Contains(seen, "slowest") {
				fail("edge %s: exemplar roles %v with %d errors", e.ID, seen, e.Errors)
			}
		}
		if paired != d.Derivation.Completed || unpaired != d.Derivation.Unpaired {
			fail("edges hold %d paired and %d unpaired calls, derivation says %d and %d",
				paired, unpaired, d.Derivation.Completed, d.Derivation.Unpaired)
		}
	}
}
