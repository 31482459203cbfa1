package graph

import (
	"encoding/json"
	"testing"
)

func TestEvent_JSON_fieldNames(t *testing.T) {
	e := Event{Time: 1700000000000, Kind: EventHealthChanged, Element: ElementEdge, ID: "a->b", From: "ok", To: "failing", Detail: "error rate 12.5% over 1m"}
	b, err := json.Marshal(EventList{Events: []Event{e}, Truncated: true})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"events":[{"time_ms":1700000000000,"kind":"health_changed","element":"edge","id":"a-\u003eb","from":"ok","to":"failing","detail":"error rate 12.5% over 1m"}],"truncated":true}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	var back EventList
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Events) != 1 || back.Events[0] != e || !back.Truncated {
		t.Fatalf("round trip: %+v", back)
	}
	b, _ = json.Marshal(Event{Time: 1, Kind: EventEdgeAdded, Element: ElementEdge, ID: "a->b"})
	if string(b) != `{"time_ms":1,"kind":"edge_added","element":"edge","id":"a-\u003eb"}` {
		t.Fatalf("omitempty: %s", b)
	}
}

func TestEdgeEnds(t *testing.T) {
	for _, tc := range []struct {
		id, from, to string
		ok           bool
	}{
		{"a->b", "a", "b", true},
		{"db:postgres->x", "db:postgres", "x", true},
		{"node", "", "", false},
	} {
		f, to, ok := EdgeEnds(tc.id)
		if ok != tc.ok || (ok && (f != tc.from || to != tc.to)) {
			t.Errorf("EdgeEnds(%q) = %q, %q, %v", tc.id, f, to, ok)
		}
	}
}
