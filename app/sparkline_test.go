package app

import (
	"strings"
	"testing"
)

func TestSparklineURL_Build_nodeAndEdge(t *testing.T) {
	for _, tc := range []struct {
		name, base, kind, id, from, to, want string
	}{
		{"node", "http://h/api/v1/sparkline", KindNode, "checkout", "", "", "http://h/api/v1/sparkline?minutes=30&node=checkout"},
		{"edge keeps token", "http://h/api/v1/sparkline?access_token=t", KindEdge, "", "a b", "c", "http://h/api/v1/sparkline?access_token=t&from=a+b&minutes=30&to=c"},
		{"no base", "", KindNode, "x", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SparklineURL(tc.base, tc.kind, tc.id, tc.from, tc.to); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSparkline_Parse_andPoints(t *testing.T) {
	pts, err := parseSparkline(strings.NewReader(`{"node":"a","step_ms":10000,"points":[{"t":0,"calls":4,"errors":1},{"t":10000,"calls":0,"errors":0},{"t":20000,"calls":2,"errors":0}]}`))
	if err != nil || len(pts) != 3 || pts[0].Calls != 4 || pts[0].Errors != 1 {
		t.Fatalf("parse = %+v, %v", pts, err)
	}
	got := SparklinePoints(pts, func(p SparkPoint) int64 { return p.Calls }, 4, 100, 10)
	if want := "0.0,0.0 50.0,10.0 100.0,5.0"; got != want {
		t.Fatalf("points = %q, want %q", got, want)
	}
	if SparklinePoints(nil, func(p SparkPoint) int64 { return p.Calls }, 4, 100, 10) != "" || SparklinePoints(pts, func(p SparkPoint) int64 { return p.Calls }, 0, 100, 10) != "" {
		t.Fatal("empty input should give no points")
	}
	if _, err := parseSparkline(strings.NewReader(`{"points":`)); err == nil {
		t.Fatal("truncated body accepted")
	}
}
