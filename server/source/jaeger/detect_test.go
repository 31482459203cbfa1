package jaeger

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/server/poll"
)

func TestPuller_Protocol_detection(t *testing.T) {
	for _, tc := range []struct {
		name string
		noV3 int
		want Protocol
	}{
		{"v3 served", 0, APIv3},
		{"v3 not found", http.StatusNotFound, Legacy},
		{"v3 path answered by the UI", http.StatusOK, Legacy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeJaeger(t)
			f.noV3 = tc.noV3
			p := newTestPuller(t, f.serve(t).URL, Auto, nil)
			if p.Protocol() != Auto {
				t.Fatalf("protocol before the first call = %s", p.Protocol())
			}
			svcs, err := p.Services(context.Background())
			if err != nil || len(svcs) != 6 {
				t.Fatalf("Services() = %v, %v", svcs, err)
			}
			if p.Protocol() != tc.want {
				t.Fatalf("protocol = %s, want %s", p.Protocol(), tc.want)
			}
			if p.Malformed() != 0 {
				t.Fatalf("malformed = %d: a probe's miss is not a malformed response", p.Malformed())
			}
		})
	}
}

func TestPuller_Protocol_detectionRetriesAfterFailure(t *testing.T) {
	f := newFakeJaeger(t)
	f.status = http.StatusInternalServerError
	p := newTestPuller(t, f.serve(t).URL, Auto, nil)
	if _, err := p.Services(context.Background()); err == nil || !strings.Contains(err.Error(), "storage exploded") {
		t.Fatalf("Services() error = %v, want Jaeger's message", err)
	}
	if p.Protocol() != Auto {
		t.Fatalf("protocol after a failed probe = %s, want auto", p.Protocol())
	}
	f.set(func(f *fakeJaeger) { f.status = 0; f.noV3 = http.StatusNotFound })
	if _, err := p.Traces(context.Background(), "frontend", poll.Window{From: time.Unix(0, 0), To: time.Unix(10, 0)}, 5); err != nil {
		t.Fatal(err)
	}
	if p.Protocol() != Legacy {
		t.Fatalf("protocol = %s, want legacy", p.Protocol())
	}
}

func TestPuller_Protocol_notJaeger(t *testing.T) {
	f := newFakeJaeger(t)
	f.body = []byte(uiPage)
	p := newTestPuller(t, f.serve(t).URL, Auto, nil)
	_, err := p.Services(context.Background())
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "neither API") {
		t.Fatalf("error = %v, want a malformed answer from both APIs", err)
	}
	if p.Malformed() != 1 {
		t.Fatalf("malformed = %d, want 1", p.Malformed())
	}
}
