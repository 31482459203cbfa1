package graph

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestMessage_MarshalJSON_shapes(t *testing.T) {
	snap := Snapshot{Version: 7, View: "focus=a", Nodes: []Node{}, Edges: []Edge{}}
	d := Diff{Base: 7, Version: 8, RemovedNodes: []string{"b"}}
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{"subscribe", NewSubscribe("focus=a&window=15m"), `{"type":"subscribe","view":"focus=a\u0026window=15m"}`},
		{"snapshot", NewSnapshotMessage(&snap),
			`{"type":"snapshot","view":"focus=a","version":7,"snapshot":{"version":7,"view":"focus=a","nodes":[],"edges":[]}}`},
		{"snapshot envelope filled in", Message{Type: MessageSnapshot, Snapshot: &snap},
			`{"type":"snapshot","version":7,"snapshot":{"version":7,"view":"focus=a","nodes":[],"edges":[]}}`},
		{"diff", NewDiffMessage("focus=a", &d),
			`{"type":"diff","view":"focus=a","base":7,"version":8,"diff":{"base":7,"version":8,"removed_nodes":["b"]}}`},
		{"diff envelope filled in", Message{Type: MessageDiff, Diff: &d},
			`{"type":"diff","base":7,"version":8,"diff":{"base":7,"version":8,"removed_nodes":["b"]}}`},
		{"status", NewStatusMessage(&Status{
			Time:         1000,
			Sources:      []SourceStatus{{Name: "jaeger-prod", Kind: "jaeger", State: SourceDegraded, LastSuccess: 900, LastError: "result cap hit", Lag: 30000}},
			Stale:        false,
			DroppedSpans: 3,
		}), `{"type":"status","status":{"time_ms":1000,"sources":[{"name":"jaeger-prod","kind":"jaeger","state":"degraded",` +
			`"last_success_ms":900,"last_error":"result cap hit","lag_ms":30000}],"stale":false,"dropped_spans":3,"pending_spans":0}}`},
		{"error", NewErrorMessage(errors.New("view parameter up: bad value")), `{"type":"error","error":"view parameter up: bad value"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(tt.m)
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tt.want {
				t.Errorf("JSON\n got %s\nwant %s", data, tt.want)
			}
			var back Message
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			if err := back.Validate(); err != nil {
				t.Errorf("decoded message does not validate: %v", err)
			}
			if back.Type != tt.m.Type {
				t.Errorf("type %q, want %q", back.Type, tt.m.Type)
			}
		})
	}
}

func TestMessage_Validate(t *testing.T) {
	snap := &Snapshot{Version: 2}
	d := &Diff{Base: 1, Version: 2}
	tests := []struct {
		name string
		m    Message
		ok   bool
	}{
		{"subscribe to default view", Message{Type: MessageSubscribe}, true},
		{"subscribe with payload", Message{Type: MessageSubscribe, Snapshot: snap, Version: 2}, false},
		{"unknown type", Message{Type: "hello"}, false},
		{"snapshot without payload", Message{Type: MessageSnapshot}, false},
		{"snapshot wrong version", Message{Type: MessageSnapshot, Version: 3, Snapshot: snap}, false},
		{"snapshot and diff", Message{Type: MessageSnapshot, Version: 2, Snapshot: snap, Diff: d}, false},
		{"diff", NewDiffMessage("", d), true},
		{"diff wrong base", Message{Type: MessageDiff, Base: 0, Version: 2, Diff: d}, false},
		{"diff with status payload", Message{Type: MessageDiff, Status: &Status{}}, false},
		{"status", NewStatusMessage(&Status{}), true},
		{"error without text", Message{Type: MessageError}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.m.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrBadMessage) {
				t.Errorf("error %v does not wrap ErrBadMessage", err)
			}
		})
	}
}

// TestMessage_streamRoundTrip plays a stream the way a browser sees it:
// decode a snapshot message, then diff messages, applying each.
func TestMessage_streamRoundTrip(t *testing.T) {
	g := newGen(99)
	truth := g.snapshot(1)
	var replica Snapshot
	decode := func(m Message) Message {
		var out Message
		if err := json.Unmarshal(mustJSON(t, m), &out); err != nil {
			t.Fatal(err)
		}
		if err := out.Validate(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	replica = *decode(NewSnapshotMessage(&truth)).Snapshot
	for v := uint64(2); v < 200; v++ {
		next := g.mutate(truth, v)
		d := Compute(truth, next)
		m := decode(NewDiffMessage(next.View, &d))
		var err error
		if replica, err = Apply(replica, *m.Diff); err != nil {
			t.Fatalf("version %d: %v", v, err)
		}
		truth = next
	}
	if !reflect.DeepEqual(normalize(replica), normalize(truth)) {
		t.Fatal("replica differs from the stream's last snapshot")
	}
}

func TestOnlyStaleSaw(t *testing.T) {
	stale := map[string]bool{"jaeger": true, "zipkin": true}
	for _, tc := range []struct {
		sources []string
		stale   map[string]bool
		want    bool
	}{
		{[]string{"jaeger"}, stale, true},
		{[]string{"jaeger", "zipkin"}, stale, true},
		{[]string{"jaeger", "otlp"}, stale, false}, // otlp still delivers
		{nil, stale, false},                        // no source recorded: nothing to judge by
		{[]string{"jaeger"}, nil, false},
	} {
		if got := OnlyStaleSaw(tc.sources, tc.stale); got != tc.want {
			t.Errorf("OnlyStaleSaw(%v, %v) = %v, want %v", tc.sources, tc.stale, got, tc.want)
		}
	}
}
