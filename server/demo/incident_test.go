package demo

import (
	"testing"
	"time"
)

// phaseOf returns the incident of a span when it is unambiguous: the same
// ten seconds either side of its start (a request lasts far less).
func phaseOf(cfg Config, s flat) (Incident, bool) {
	at := time.Unix(0, s.start())
	inc := cfg.IncidentAt(at)
	return inc, cfg.IncidentAt(at.Add(-10*time.Second)) == inc && cfg.IncidentAt(at.Add(10*time.Second)) == inc
}

func TestGenerator_Batch_incidents(t *testing.T) {
	// No baseline errors, so every failure comes from the incident.
	g := newTestGenerator(t, func(c *Config) { c.ErrorScale = 0 })
	cfg := g.Config()
	spans := generate(t, g, t0, 2*180, 10) // two full cycles

	type tally struct{ calls, errors int }
	provider := map[Incident]*tally{}
	dbLatency := map[Incident][]int64{}
	ml := map[Incident]int{}
	var otherErrors int
	for _, s := range spans {
		inc, ok := phaseOf(cfg, s)
		if !ok {
			continue
		}
		switch {
		case s.svc == "payment" && s.str("server.address") == PaymentProviderAddress:
			if provider[inc] == nil {
				provider[inc] = &tally{}
			}
			provider[inc].calls++
			if s.failed() {
				provider[inc].errors++
			}
		case s.svc == "inventory" && s.str("db.system") == "postgresql":
			dbLatency[inc] = append(dbLatency[inc], s.end()-s.start())
		case s.svc == "ml-scoring" || s.str("rpc.service") == "ml.v1.ScoringService":
			ml[inc]++
		}
		if s.failed() && inc != IncidentErrorBurst {
			otherErrors++
		}
	}

	burst := provider[IncidentErrorBurst]
	if burst == nil || burst.calls < 20 {
		t.Fatalf("too few payment provider calls during the error burst: %+v", burst)
	}
	if rate := float64(burst.errors) / float64(burst.calls); rate < 0.4 || rate > 0.8 {
		t.Errorf("error burst: %d of %d provider calls failed (%.2f), want about %.2f",
			burst.errors, burst.calls, rate, cfg.BurstErrorRate)
	}
	for inc, tl := range provider {
		if inc != IncidentErrorBurst && tl.errors != 0 {
			t.Errorf("%s: %d payment provider errors outside the error burst", inc, tl.errors)
		}
	}

	spike := quantile(dbLatency[IncidentLatencySpike], 0.5)
	for _, inc := range []Incident{IncidentNone, IncidentErrorBurst, IncidentNewDependency} {
		quiet := quantile(dbLatency[inc], 0.5)
		if len(dbLatency[inc]) < 20 || spike < 6*quiet {
			t.Errorf("inventory->postgres median %v during the spike vs %v during %s (%d calls), want >= 6x",
				time.Duration(spike), time.Duration(quiet), inc, len(dbLatency[inc]))
		}
	}

	if ml[IncidentNewDependency] == 0 {
		t.Error("ml-scoring never called during the new-dependency phase")
	}
	for inc, n := range ml {
		if inc != IncidentNewDependency {
			t.Errorf("ml-scoring called %d times during %s", n, inc)
		}
	}
	if otherErrors != 0 {
		t.Errorf("%d failed spans outside the error burst with baseline errors off", otherErrors)
	}
}

func TestGenerator_Batch_errorPropagation(t *testing.T) {
	// During the burst some charges fail after all retries; the failure must
	// reach the user's request, and the order must not be published.
	g := newTestGenerator(t, func(c *Config) { c.ErrorScale = 0; c.BurstErrorRate = 1 })
	from, _ := g.Config().IncidentWindow(IncidentErrorBurst, t0)
	spans := generate(t, g, from.Add(10*time.Second), 20, 20)
	ix := newIndex(spans)
	failedCheckouts := 0
	for _, s := range spans {
		if s.svc != "web-frontend" || s.sp.Name != "POST /checkout" {
			continue
		}
		if !s.failed() || s.num("http.response.status_code") != 503 {
			t.Errorf("checkout during a total provider outage: failed=%v status=%d", s.failed(), s.num("http.response.status_code"))
		}
		failedCheckouts++
		attempts := 0
		for _, o := range ix.traces[s.trace()] {
			if o.str("server.address") == PaymentProviderAddress {
				attempts++
			}
			if o.str("messaging.destination.name") == OrdersTopic {
				t.Errorf("failed checkout %s published an order", s.trace())
			}
		}
		if attempts != 3 {
			t.Errorf("checkout %s made %d provider attempts, want 3 (two retries)", s.trace(), attempts)
		}
	}
	if failedCheckouts == 0 {
		t.Fatal("no checkouts generated")
	}
}
