package span

import "testing"

func TestSpan_IsError(t *testing.T) {
	for _, c := range []struct {
		name string
		s    Span
		want bool
	}{
		{"nothing", Span{Kind: KindServer, HTTPStatus: 200}, false},
		{"status error", Span{Kind: KindClient, StatusError: true}, true},
		{"error tag", Span{Kind: KindInternal, ErrorTag: true}, true},
		{"HTTP 500 on a client", Span{Kind: KindClient, HTTPStatus: 500}, true},
		{"HTTP 499", Span{Kind: KindServer, HTTPStatus: 499}, false},
		{"gRPC status on a server", Span{Kind: KindServer, GRPCStatus: 14}, true},
		{"gRPC status on a client", Span{Kind: KindClient, GRPCStatus: 5}, false},
	} {
		if got := c.s.IsError(); got != c.want {
			t.Errorf("%s: IsError = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestIDs_String(t *testing.T) {
	var tid TraceID
	tid[15] = 0xab
	if tid.IsZero() || tid.String() != "000000000000000000000000000000ab" {
		t.Errorf("trace ID %q", tid)
	}
	var sid SpanID
	if !sid.IsZero() || sid.String() != "0000000000000000" {
		t.Errorf("zero span ID %q", sid)
	}
	if (Peer{}).IsZero() != true || (Peer{NetPeerName: "x"}).IsZero() {
		t.Error("Peer.IsZero")
	}
}

func TestKind_String(t *testing.T) {
	want := []string{"unspecified", "internal", "server", "client", "producer", "consumer", "unknown"}
	for k, w := range want {
		if got := Kind(k).String(); got != w {
			t.Errorf("Kind(%d) = %q, want %q", k, got, w)
		}
	}
}
