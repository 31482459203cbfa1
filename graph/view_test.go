package graph

import (
	"errors"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"
)

// sameView compares Views field by field, times with Equal.
func sameView(a, b View) bool {
	ta, tb := a, b
	ta.From, ta.To, tb.From, tb.To = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return ta == tb && a.From.Equal(b.From) && a.To.Equal(b.To)
}

func TestParseView_valid(t *testing.T) {
	from := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	to := from.Add(time.Hour)
	tests := []struct {
		name  string
		query string
		want  View
	}{
		{"empty", "", DefaultView()},
		{"window preset", "window=1h", View{Window: time.Hour, Layout: LayoutDotLR}},
		{"window go duration", "window=90s", View{Window: 90 * time.Second, Layout: LayoutDotLR}},
		{"window days", "window=7d", View{Window: 7 * 24 * time.Hour, Layout: LayoutDotLR}},
		{"range", "from=2024-05-01T12:00:00Z&to=2024-05-01T13:00:00Z", View{From: from, To: to, Layout: LayoutDotLR}},
		{"range with offset, to UTC", "from=2024-05-01T14:00:00%2B02:00&to=2024-05-01T13:00:00Z", View{From: from, To: to, Layout: LayoutDotLR}},
		{"range overrides window", "window=1h&from=2024-05-01T12:00:00Z&to=2024-05-01T13:00:00Z", View{From: from, To: to, Layout: LayoutDotLR}},
		{"focus default hops", "focus=checkout", View{Window: DefaultWindow, Focus: "checkout", Up: 1, Down: 1, Layout: LayoutDotLR}},
		{"focus hops", "focus=checkout&up=0&down=3", View{Window: DefaultWindow, Focus: "checkout", Up: 0, Down: 3, Layout: LayoutDotLR}},
		{"hops without focus ignored", "up=4&down=2", DefaultView()},
		{"group", "group=namespace", View{Window: DefaultWindow, Group: GroupNamespace, Layout: LayoutDotLR}},
		{"group none", "group=none", DefaultView()},
		{"virtual hide", "virtual=hide", View{Window: DefaultWindow, HideVirtual: true, Layout: LayoutDotLR}},
		{"virtual show", "virtual=show", DefaultView()},
		{"min rate", "min_rate=0.5", View{Window: DefaultWindow, MinRate: 0.5, Layout: LayoutDotLR}},
		{"bools", "ops=1&errors_only=true", View{Window: DefaultWindow, Operations: true, ErrorsOnly: true, Layout: LayoutDotLR}},
		{"bools false", "ops=false&errors_only=0", DefaultView()},
		{"layout", "layout=neato", View{Window: DefaultWindow, Layout: LayoutNeato}},
		{"empty values are absent", "window=&focus=&layout=", DefaultView()},
		{"escaped focus", "focus=database%3Aorders+db", View{Window: DefaultWindow, Focus: "database:orders db", Up: 1, Down: 1, Layout: LayoutDotLR}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseView(tt.query)
			if err != nil {
				t.Fatalf("ParseView(%q): %v", tt.query, err)
			}
			if !sameView(got, tt.want) {
				t.Errorf("ParseView(%q) = %+v, want %+v", tt.query, got, tt.want)
			}
		})
	}
}

func TestParseView_errors(t *testing.T) {
	tests := []struct {
		query string
		param string
		value string
	}{
		{"colour=red", "colour", ""},
		{"window=5m&window=1h", "window", ""},
		{"window=7x", "window", "7x"},
		{"window=0s", "window", "0s"},
		{"window=-5m", "window", "-5m"},
		{"window=1500ms", "window", "1500ms"},
		{"window=800h", "window", "800h"},
		{"from=2024-05-01T12:00:00Z", "to", ""},
		{"to=2024-05-01T12:00:00Z", "from", ""},
		{"from=yesterday&to=2024-05-01T12:00:00Z", "from", "yesterday"},
		{"from=2024-05-01T12:00:00Z&to=2024-05-01T12:00:00Z", "to", "2024-05-01T12:00:00Z"},
		{"from=2024-05-01T13:00:00Z&to=2024-05-01T12:00:00Z", "to", "2024-05-01T12:00:00Z"},
		{"focus=a%00b", "focus", "a\x00b"},
		{"focus=x&up=11", "up", "11"},
		{"focus=x&down=-1", "down", "-1"},
		{"up=two", "up", "two"},
		{"group=team", "group", "team"},
		{"virtual=maybe", "virtual", "maybe"},
		{"min_rate=-1", "min_rate", "-1"},
		{"min_rate=NaN", "min_rate", "NaN"},
		{"min_rate=Inf", "min_rate", "Inf"},
		{"ops=yes", "ops", "yes"},
		{"errors_only=2", "errors_only", "2"},
		{"layout=circo", "layout", "circo"},
		{"window=%zz", "query", ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			_, err := ParseView(tt.query)
			var ve *ViewError
			if !errors.As(err, &ve) {
				t.Fatalf("ParseView(%q) error = %v, want *ViewError", tt.query, err)
			}
			if ve.Param != tt.param || ve.Value != tt.value || ve.Reason == "" {
				t.Errorf("ParseView(%q) = %+v, want param %q value %q and a reason", tt.query, ve, tt.param, tt.value)
			}
			if !strings.Contains(err.Error(), tt.param) {
				t.Errorf("error %q does not name %q", err, tt.param)
			}
		})
	}
}

func TestViewError_Error(t *testing.T) {
	_, err := ParseView("window=7x")
	want := `view parameter window: bad value "7x": want a duration such as 1m, 5m, 15m, 1h, 6h, 24h or 7d`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
	_, err = ParseView("colour=red")
	if want := "view parameter colour: unknown parameter"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestParseView_ignore(t *testing.T) {
	v, err := ParseView("token=abc&theme=dark&focus=a", "token", "theme")
	if err != nil {
		t.Fatal(err)
	}
	if v.Focus != "a" || v.Encode() != "focus=a" {
		t.Errorf("got %+v encoded %q, want focus a", v, v.Encode())
	}
	if _, err := ParseView("token=abc&theme=dark", "token"); err == nil {
		t.Error("theme accepted without being ignored")
	}
	v, err = ParseView("layout=mine&focus=a", "layout")
	if err != nil || v.Layout != LayoutDotLR {
		t.Errorf("ignored layout parameter was read: %+v, %v", v, err)
	}
}

func TestParseView_unknownParamsDeterministic(t *testing.T) {
	for range 20 {
		_, err := ParseView("zz=1&aa=1&mm=1")
		var ve *ViewError
		if !errors.As(err, &ve) || ve.Param != "aa" {
			t.Fatalf("error = %v, want the first unknown parameter by name, aa", err)
		}
	}
}

func TestParseViewValues_repeated(t *testing.T) {
	_, err := ParseViewValues(url.Values{"focus": {"a", "b"}})
	var ve *ViewError
	if !errors.As(err, &ve) || ve.Param != "focus" {
		t.Errorf("error = %v, want a focus ViewError", err)
	}
}

func TestView_Encode_canonical(t *testing.T) {
	tests := []struct {
		name    string
		queries []string
		want    string
	}{
		{"defaults", []string{"", "window=5m", "window=300s", "layout=dot-lr&virtual=show&group=none", "ops=false"}, ""},
		{"order", []string{"layout=fdp&focus=a&window=1h", "window=60m&focus=a&layout=fdp&up=1&down=1"}, "focus=a&layout=fdp&window=1h"},
		{"window spelled", []string{"window=90m", "window=1h30m", "window=5400s"}, "window=1h30m"},
		{"days", []string{"window=1d", "window=24h"}, "window=24h"},
		{"range", []string{"from=2024-05-01T14:00:00%2B02:00&to=2024-05-01T13:00:00Z", "window=1h&to=2024-05-01T13:00:00Z&from=2024-05-01T12:00:00Z"},
			"from=2024-05-01T12%3A00%3A00Z&to=2024-05-01T13%3A00%3A00Z"},
		{"hops", []string{"focus=a&up=0", "up=0&focus=a&down=1"}, "focus=a&up=0"},
		{"hops dropped", []string{"up=3", "down=0"}, ""},
		{"flags", []string{"ops=true&errors_only=1&virtual=hide&min_rate=0.50", "errors_only=t&ops=T&min_rate=.5&virtual=hide"},
			"errors_only=true&min_rate=0.5&ops=true&virtual=hide"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, q := range tt.queries {
				v, err := ParseView(q)
				if err != nil {
					t.Fatalf("ParseView(%q): %v", q, err)
				}
				if got := v.Encode(); got != tt.want {
					t.Errorf("ParseView(%q).Encode() = %q, want %q", q, got, tt.want)
				}
			}
		})
	}
}

func TestView_Encode_zeroValue(t *testing.T) {
	if got := (View{}).Encode(); got != "" {
		t.Errorf("zero View encodes to %q, want empty", got)
	}
	if got := (View{}).String(); got != "default" {
		t.Errorf("zero View String = %q, want default", got)
	}
	if !sameView(View{}.Normalize(), DefaultView()) {
		t.Errorf("zero View normalises to %+v, want the default", View{}.Normalize())
	}
}

func randomView(r *rand.Rand) View {
	v := View{}
	if r.IntN(3) == 0 {
		v.Window = time.Duration(1+r.IntN(48*3600)) * time.Second
	}
	if r.IntN(4) == 0 {
		v.From = time.Unix(r.Int64N(2e9), r.Int64N(1e9)).In(time.FixedZone("x", 3600*(r.IntN(25)-12)))
		v.To = v.From.Add(time.Duration(1 + r.Int64N(1e15)))
	}
	if r.IntN(2) == 0 {
		v.Focus = []string{"checkout", "database:orders", "a&b=c", "日本", "x y"}[r.IntN(5)]
	}
	v.Up, v.Down = r.IntN(MaxHops+1), r.IntN(MaxHops+1)
	v.Group = []string{GroupNone, GroupNamespace}[r.IntN(2)]
	v.HideVirtual = r.IntN(2) == 0
	if r.IntN(2) == 0 {
		v.MinRate = float64(r.IntN(1000)) / float64(1+r.IntN(100))
	}
	v.Operations = r.IntN(2) == 0
	v.ErrorsOnly = r.IntN(2) == 0
	v.Layout = []string{"", LayoutDotLR, LayoutDotTB, LayoutNeato, LayoutFDP}[r.IntN(5)]
	return v
}

func TestView_Encode_roundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for range 3000 {
		v := randomView(r)
		q := v.Encode()
		got, err := ParseView(q)
		if err != nil {
			t.Fatalf("ParseView(%q) of %+v: %v", q, v, err)
		}
		if !sameView(got, v.Normalize()) {
			t.Fatalf("ParseView(Encode(v)) = %+v, want %+v (query %q)", got, v.Normalize(), q)
		}
		if again := got.Encode(); again != q {
			t.Fatalf("Encode not stable: %q then %q", q, again)
		}
		if err := v.Validate(); err != nil {
			t.Fatalf("Validate(%+v): %v", v, err)
		}
	}
}

func TestView_Validate(t *testing.T) {
	tests := []struct {
		name  string
		v     View
		param string
	}{
		{"negative window", View{Window: -time.Minute}, ParamWindow},
		{"fractional window", View{Window: 1500 * time.Millisecond}, ParamWindow},
		{"half range", View{To: time.Now()}, ParamFrom},
		{"reversed range", View{From: time.Unix(100, 0), To: time.Unix(50, 0)}, ParamTo},
		{"hops", View{Focus: "a", Up: MaxHops + 1}, ParamUp},
		{"group", View{Group: "team"}, ParamGroup},
		{"layout", View{Layout: "circo"}, ParamLayout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.Validate()
			var ve *ViewError
			if !errors.As(err, &ve) || ve.Param != tt.param {
				t.Errorf("Validate() = %v, want a ViewError for %s", err, tt.param)
			}
		})
	}
}

func TestView_Fixed(t *testing.T) {
	if (View{Window: time.Hour}).Fixed() {
		t.Error("window View reported fixed")
	}
	if !(View{From: time.Unix(1, 0), To: time.Unix(2, 0)}).Fixed() {
		t.Error("range View not reported fixed")
	}
}
