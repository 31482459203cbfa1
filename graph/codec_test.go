package graph

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
)

// decodeBoth decodes data with DecodeMessage and with json.Unmarshal and
// fails unless both give the same message and the same error.
func decodeBoth(t testing.TB, data []byte) (Message, error) {
	t.Helper()
	got, gotErr := DecodeMessage(data)
	var want Message
	wantErr := json.Unmarshal(data, &want)
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Fatalf("DecodeMessage(%.200q) error %v, json.Unmarshal %v", data, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeMessage(%.200q) = %+v, json.Unmarshal %+v", data, got, want)
	}
	return got, gotErr
}

// fast reports whether the hand-written parser read data by itself.
func fast(data []byte) bool {
	var m Message
	p := parser{b: data}
	return p.message(&m) == nil
}

func (g *gen) status() *Status {
	st := &Status{Time: g.r.Int64N(1 << 42), Stale: g.chance(0.5), DroppedSpans: g.r.Int64N(1000), PendingSpans: g.r.Int64N(1000)}
	switch g.r.IntN(3) {
	case 0:
	case 1:
		st.Sources = []SourceStatus{}
	default:
		for i := range 1 + g.r.IntN(3) {
			st.Sources = append(st.Sources, SourceStatus{
				Name: g.text() + strconv.Itoa(i), Kind: "jaeger", State: SourceDegraded, LastSuccess: g.r.Int64N(1 << 42),
				LastError: g.text(), Lag: g.r.Int64N(1 << 20), Spans: g.r.Int64N(1 << 30), UIURL: "http://x/" + g.text(),
				TracesFetched: g.r.Int64N(100), CapsHit: g.r.Int64N(3), PollsBehind: g.r.Int64N(3), Malformed: g.r.Int64N(3),
				SkippedWindows: g.r.Int64N(3), Stale: g.chance(0.5),
			})
		}
	}
	if g.chance(0.5) {
		st.Health = &HealthRules{ErrorRateDegraded: g.r.Float64() / 10, ErrorRateFailing: g.r.Float64()}
		if g.chance(0.5) {
			st.Health.P99DegradedMs, st.Health.P99FailingMs = float64(g.r.IntN(1000)), float64(g.r.IntN(5000))
		}
	}
	return st
}

// messages returns a stream's worth of random messages of every type, as
// the server encodes them.
func (g *gen) messages(n int) [][]byte {
	var out [][]byte
	add := func(m Message) {
		b, err := json.Marshal(m)
		if err != nil {
			panic(err)
		}
		out = append(out, b)
	}
	s := g.snapshot(1)
	add(NewSnapshotMessage(&s))
	add(NewSubscribe("window=5m&focus=" + g.text()))
	for v := uint64(2); len(out) < n; v++ {
		next := g.mutate(s, v)
		d := Compute(s, next)
		add(NewDiffMessage(next.View, &d))
		s = next
		switch g.r.IntN(6) {
		case 0:
			add(NewStatusMessage(g.status()))
		case 1:
			add(Message{Type: MessageError, Error: "view parameter window: bad value \"7x\" <" + g.text() + ">"})
		case 2:
			add(NewSnapshotMessage(&s))
		}
	}
	return out
}

func TestDecodeMessage_sameAsEncodingJSON(t *testing.T) {
	for seed := range uint64(20) {
		for _, data := range newGen(seed).messages(60) {
			decodeBoth(t, data)
			if !fast(data) {
				t.Fatalf("the parser left a message as the server encodes it to encoding/json: %.300s", data)
			}
		}
	}
}

func TestDecodeMessage_edgeCases(t *testing.T) {
	cases := []struct {
		in   string
		fast bool // read by the parser itself
	}{
		{`null`, true},
		{` {"type":"diff"} `, true},
		{`{}`, true},
		{`{"type":"diff","diff":null,"snapshot":null}`, true},
		{`{"type":"snapshot","snapshot":{"version":3,"nodes":[],"edges":null}}`, true},
		{`{"type":"snapshot","snapshot":{"nodes":[{"id":"a","stats":null,"pos":null,"operations":[]}]}}`, true},
		{`{"type":"diff","diff":{"patched_nodes":[{"id":"a","operations":null,"sources":[],"health":"ok"}]}}`, true},
		{`{"type":"diff","diff":{"patched_edges":[{"id":"a","path":[],"exemplars":null,"health":null}]}}`, true},
		{`{"type":"diff","diff":{"view":"","bounds":{"width":1e3,"height":-0.5E-2}}}`, true},
		{`{"type":"error","error":"a\u003e\"b\\\/\b\f\n\r\t\u00e9\u65e5 é"}`, true},
		{`{"type":"status","status":{"stale":true,"sources":[{"name":"j"}]}}`, true},
		{`{"type":"snapshot","snapshot":{"edges":[{"id":"a->b","calls":3,"latency_ms":{"p50":1},"queue_lag_ms":{"p99":2}}]}}`, true},
		// Left to encoding/json.
		{`{"type":"diff","type":"snapshot"}`, false},
		{`{"TYPE":"diff"}`, false},
		{`{"type":"diff","extra":[1,{"a":null}]}`, false},
		{`{"type":"\ud83d\ude00"}`, false},
		{`{"type":"\ud83d"}`, false},
		{"{\"type\":\"\xff\"}", false},
		{`{"type":1}`, false},
		{`{"base":-1}`, false},
		{`{"base":1.5}`, false},
		{`{"version":18446744073709551616}`, false},
		{`{"snapshot":{"from_ms":1e3}}`, false},
		{`{"snapshot":{"width":1e400}}`, false},
		{`{"type":"diff"} x`, false},
		{`{"type":"diff",}`, false},
		{`{"type":"diff"`, false},
		{`{"type":"di` + "\n" + `ff"}`, false},
		{`{"base":01}`, false},
		{`{"base":1.}`, false},
		{`{"base":-}`, false},
		{`{"status":{"stale":tru}}`, false},
		{`{"diff":{"removed_nodes":["a",]}}`, false},
		{`{"diff":{"removed_nodes":["a" "b"]}}`, false},
		{`{"snapshot":[]}`, false},
		{``, false},
	}
	for _, c := range cases {
		decodeBoth(t, []byte(c.in))
		if fast([]byte(c.in)) != c.fast {
			t.Errorf("parser read %q by itself: %v, want %v", c.in, !c.fast, c.fast)
		}
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, data := range newGen(7).messages(30) {
		f.Add(data)
	}
	f.Add([]byte(`{"type":"diff","diff":{"patched_edges":[{"id":"a","path":[],"stats":{"calls":1}}]}}`))
	f.Add([]byte(`{"type":"error","error":"\u003e\ud83d\ude00"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeBoth(t, data)
	})
}

func BenchmarkDecodeMessage(b *testing.B) {
	g := newGen(3)
	g.pool = 400
	var data []byte
	for _, m := range g.messages(4) {
		if len(m) > len(data) {
			data = m
		}
	}
	b.Run("DecodeMessage", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := DecodeMessage(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var m Message
			if err := json.Unmarshal(data, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
