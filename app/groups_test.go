package app

import (
	"testing"

	"github.com/spanmap/spanmap/graph"
)

func groupedSnapshot() graph.Snapshot {
	return graph.Snapshot{
		Nodes: []graph.Node{
			{ID: "db", Kind: graph.NodeDatabase, Pos: pt(300, 300), Width: 100, Height: 40},
			{ID: "ns/shop", Name: "shop", Kind: graph.NodeGroup},
			{ID: "orders", Group: "ns/shop", Pos: pt(100, 100), Width: 100, Height: 40, Health: graph.HealthOK,
				Stats: graph.Stats{Calls: 100, Errors: 0, Rate: 10}, Sources: []string{"otlp"}},
			{ID: "pay", Group: "ns/shop", Pos: pt(300, 100), Width: 100, Height: 40, Health: graph.HealthFailing,
				Stats: graph.Stats{Calls: 100, Errors: 50, Rate: 10, Latency: graph.Latency{P99: 900}}, Sources: []string{"jaeger"}},
			{ID: "web", Pos: pt(200, -100), Width: 100, Height: 40},
		},
		Edges: []graph.Edge{
			{ID: "orders->db", From: "orders", To: "db", Stats: graph.Stats{Calls: 10, Errors: 1, Rate: 1, Latency: graph.Latency{P99: 20}},
				Path: pts(0, 0, 1, 1), Health: graph.HealthOK},
			{ID: "orders->pay", From: "orders", To: "pay", Stats: graph.Stats{Calls: 100, Rate: 10}},
			{ID: "pay->db", From: "pay", To: "db", Stats: graph.Stats{Calls: 30, Errors: 9, Rate: 3, Latency: graph.Latency{P99: 50}},
				Health: graph.HealthFailing, Trust: graph.Trust{Paired: 3, LastSeen: 99}},
			{ID: "web->orders", From: "web", To: "orders", Stats: graph.Stats{Calls: 5, Rate: 0.5}, Path: pts(0, 0, 1, 1)},
			{ID: "web->db", From: "web", To: "db", Path: pts(5, 5, 6, 6)},
		},
	}
}

func TestGroupBoxes_Build_frameAndLabel(t *testing.T) {
	boxes := GroupBoxes(groupedSnapshot())
	if len(boxes) != 1 {
		t.Fatalf("boxes = %+v", boxes)
	}
	b := boxes[0]
	if b.ID != "ns/shop" || b.Label != "shop" || b.Health != graph.HealthFailing {
		t.Errorf("box = %+v", b)
	}
	want := Rect{X: 50 - groupPadding, Y: 80 - groupPadding - groupHeader, W: 300 + 2*groupPadding, H: 40 + 2*groupPadding + groupHeader}
	if b.Box != want {
		t.Errorf("frame = %+v, want %+v", b.Box, want)
	}
	if len(b.Members) != 2 || b.Members[0] != "orders" || b.Members[1] != "pay" {
		t.Errorf("members = %v", b.Members)
	}
}

func TestCollapseGroups_Collapse_mergesEdges(t *testing.T) {
	s := groupedSnapshot()
	got := CollapseGroups(s, map[string]bool{"ns/shop": true})

	var ids []string
	var group graph.Node
	for _, n := range got.Nodes {
		ids = append(ids, n.ID)
		if n.ID == "ns/shop" {
			group = n
		}
	}
	if len(ids) != 3 || ids[0] != "db" || ids[1] != "ns/shop" || ids[2] != "web" {
		t.Fatalf("nodes = %v", ids)
	}
	if group.Kind != graph.NodeGroup || group.Name != "shop" || group.Pos == nil {
		t.Fatalf("group node = %+v", group)
	}
	if group.Stats.Calls != 200 || group.Stats.Errors != 50 || group.Stats.Rate != 20 || !near(group.Stats.ErrorRate, 0.25) {
		t.Errorf("group stats = %+v", group.Stats)
	}
	if group.Health != graph.HealthFailing || len(group.Sources) != 2 {
		t.Errorf("group health/sources = %v %v", group.Health, group.Sources)
	}

	edges := map[string]graph.Edge{}
	for _, e := range got.Edges {
		edges[e.ID] = e
	}
	if len(edges) != 3 {
		t.Fatalf("edges = %v", got.Edges)
	}
	m := edges["ns/shop->db"]
	if m.Calls != 40 || m.Errors != 10 || m.Rate != 4 || !near(m.ErrorRate, 0.25) || m.Latency.P99 != 50 {
		t.Errorf("merged edge = %+v", m.Stats)
	}
	if m.Health != graph.HealthFailing || m.Path != nil || m.Trust.Paired != 3 || m.Trust.LastSeen != 99 {
		t.Errorf("merged edge = %+v", m)
	}
	if in := edges["web->ns/shop"]; in.From != "web" || in.To != "ns/shop" || in.Path != nil {
		t.Errorf("inbound edge = %+v", in)
	}
	if kept := edges["web->db"]; len(kept.Path) != 2 {
		t.Errorf("untouched edge lost its path: %+v", kept)
	}
	if _, ok := edges["orders->pay"]; ok {
		t.Error("internal edge kept")
	}
	// The input is not modified.
	if s.Edges[0].ID != "orders->db" || len(s.Nodes) != 5 {
		t.Error("input snapshot modified")
	}
}

func TestCollapseGroups_Collapse_noop(t *testing.T) {
	s := groupedSnapshot()
	for name, c := range map[string]map[string]bool{
		"nothing collapsed": nil,
		"unknown group":     {"ns/none": true},
		"flag false":        {"ns/shop": false},
	} {
		t.Run(name, func(t *testing.T) {
			got := CollapseGroups(s, c)
			if len(got.Nodes) != len(s.Nodes) || len(got.Edges) != len(s.Edges) {
				t.Errorf("CollapseGroups changed the snapshot: %d nodes %d edges", len(got.Nodes), len(got.Edges))
			}
		})
	}
}
