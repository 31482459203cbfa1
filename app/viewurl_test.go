package app

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
)

func TestViewURL_FromQuery_roundTrip(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		wantView  graph.View
		wantToken string
		wantErr   string
	}{
		{"empty is default", "", graph.DefaultView(), "", ""},
		{"focus and window", "focus=checkout&window=15m", graph.View{Window: 15 * time.Minute, Focus: "checkout", Up: 1, Down: 1, Layout: graph.LayoutDotLR}, "", ""},
		{"token kept apart", "access_token=s3cret&group=namespace", graph.View{Window: graph.DefaultWindow, Group: graph.GroupNamespace, Layout: graph.LayoutDotLR}, "s3cret", ""},
		{"embed token kept apart", "token=v1.abc.def&focus=cart", graph.View{Window: graph.DefaultWindow, Focus: "cart", Up: 1, Down: 1, Layout: graph.LayoutDotLR}, "", ""},
		{"bad view falls back", "window=7x&access_token=t", graph.DefaultView(), "t", graph.ParamWindow},
		{"unknown parameter", "theme=dark", graph.DefaultView(), "", "theme"},
		{"bad escaping", "focus=%zz", graph.DefaultView(), "", "query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, tok, err := ViewFromQuery(tt.query)
			if tt.wantErr != "" {
				var ve *graph.ViewError
				if !errors.As(err, &ve) || ve.Param != tt.wantErr {
					t.Fatalf("err = %v, want a ViewError on %s", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if v != tt.wantView || tok != tt.wantToken {
				t.Errorf("got %+v %q, want %+v %q", v, tok, tt.wantView, tt.wantToken)
			}
			if err == nil {
				// The page URL of what was parsed restores the same View.
				u, _ := url.Parse(PageURL(PathMap, v, tok))
				v2, tok2, err := ViewFromQuery(u.RawQuery)
				if err != nil || v2 != v || tok2 != tok {
					t.Errorf("round trip via %s = %+v %q %v", u, v2, tok2, err)
				}
			}
		})
	}
}

func TestViewURL_PageURL_canonical(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		v     graph.View
		token string
		want  string
	}{
		{"default", PathMap, graph.DefaultView(), "", "/"},
		{"zero view is default", PathEmbed, graph.View{}, "", "/embed"},
		{"token only", PathEmbed, graph.View{}, "a b", "/embed?access_token=a+b"},
		{"sorted params", PathMap, graph.View{Focus: "cart", Up: 2, Down: 1, ErrorsOnly: true, Window: time.Hour}, "t",
			"/?errors_only=true&focus=cart&up=2&window=1h&access_token=t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PageURL(tt.path, tt.v, tt.token); got != tt.want {
				t.Errorf("PageURL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestViewURL_StreamURL_scheme(t *testing.T) {
	tests := []struct {
		page, token, embed, want string
	}{
		{"http://127.0.0.1:7700/?focus=a", "", "", "ws://127.0.0.1:7700/api/v1/stream"},
		{"https://maps.example.com/embed", "tok", "", "wss://maps.example.com/api/v1/stream?access_token=tok"},
		{"https://maps.example.com/embed?token=v1.a.b", "", "v1.a+b", "wss://maps.example.com/api/v1/stream?token=v1.a%2Bb"},
		{"http://h/", "t", "e", "ws://h/api/v1/stream?access_token=t&token=e"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			u, _ := url.Parse(tt.page)
			if got := StreamURL(u, tt.token, tt.embed); got != tt.want {
				t.Errorf("StreamURL = %q, want %q", got, tt.want)
			}
		})
	}
	u, _ := url.Parse("https://h:1/x?y")
	if got := APIURL(u, PathSources, "t"); got != "https://h:1/api/v1/sources?access_token=t" {
		t.Errorf("APIURL = %q", got)
	}
}

func TestViewURL_WindowLabel_units(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{time.Minute, "1m"},
		{15 * time.Minute, "15m"},
		{time.Hour, "1h"},
		{48 * time.Hour, "2d"},
		{90 * time.Second, "1m30s"},
		{0, "custom"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := WindowLabel(tt.d); got != tt.want {
				t.Errorf("WindowLabel(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

func TestViewURL_Focused_keepsHops(t *testing.T) {
	v := Focused(graph.DefaultView(), "cart")
	if v.Focus != "cart" || v.Up != graph.DefaultHops || v.Down != graph.DefaultHops {
		t.Errorf("Focused = %+v", v)
	}
	v.Up = 3
	v = Focused(v, "pay")
	if v.Focus != "pay" || v.Up != 3 {
		t.Errorf("Focused kept = %+v", v)
	}
}

func TestViewURL_ExportURL_paths(t *testing.T) {
	v := graph.View{Focus: "cart", Up: 1, Down: 1}
	tests := []struct{ format, want string }{
		{"svg", "/api/v1/graph.svg?focus=cart"},
		{"mmd", "/api/v1/graph.mmd?focus=cart"},
		{"json", "/api/v1/graph?focus=cart"},
	}
	for _, tt := range tests {
		if got := ExportURL(tt.format, v, ""); got != tt.want {
			t.Errorf("ExportURL(%s) = %q, want %q", tt.format, got, tt.want)
		}
	}
	if got := ExportURL("png", graph.View{}, "t"); got != "/api/v1/graph.png?access_token=t" {
		t.Errorf("ExportURL png = %q", got)
	}
}

func TestViewURL_EmbedToken_keptOutOfView(t *testing.T) {
	q := "focus=cart&token=v1.p%2Bq.s&access_token=a"
	if got := EmbedTokenFromQuery(q); got != "v1.p+q.s" {
		t.Errorf("EmbedTokenFromQuery = %q", got)
	}
	if got := EmbedTokenFromQuery("focus=%zz&token=x"); got != "" {
		t.Errorf("EmbedTokenFromQuery of a broken query = %q", got)
	}
	v, access, err := ViewFromQuery(q)
	if err != nil || v.Focus != "cart" || access != "a" {
		t.Fatalf("ViewFromQuery = %+v %q %v", v, access, err)
	}
	// Links to pages and other Views never carry the embed token.
	if got := PageURL(PathMap, v, access); strings.Contains(got, "token=v1") {
		t.Errorf("PageURL carries the embed token: %s", got)
	}
	tests := []struct{ u, tok, want string }{
		{"/embed", "v1.a.b", "/embed?token=v1.a.b"},
		{"/api/v1/graph.svg?focus=cart", "v1.a+b", "/api/v1/graph.svg?focus=cart&token=v1.a%2Bb"},
		{"/api/v1/graph.svg?focus=cart", "", "/api/v1/graph.svg?focus=cart"},
	}
	for _, tt := range tests {
		if got := WithEmbedToken(tt.u, tt.tok); got != tt.want {
			t.Errorf("WithEmbedToken(%q, %q) = %q, want %q", tt.u, tt.tok, got, tt.want)
		}
	}
	page, _ := url.Parse("https://maps.example.com:8443/embed?x")
	if got := Origin(page); got != "https://maps.example.com:8443" {
		t.Errorf("Origin = %q", got)
	}
}
