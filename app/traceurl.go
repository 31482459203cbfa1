package app

import (
	"encoding/json"
	"net/url"
	"strings"
)

// Source kinds that TraceURL knows how to link to.
const (
	SourceJaeger  = "jaeger"
	SourceZipkin  = "zipkin"
	SourceTempo   = "tempo"
	SourceGrafana = "grafana"
)

// TraceURL builds the link to one trace in the UI of the backend it came
// from, or "" when the kind has no trace UI, the base URL is empty or the
// trace ID is not hex.
//
//   - jaeger: <base>/trace/<id>
//   - zipkin: <base>/zipkin/traces/<id> (base may already end in /zipkin)
//   - tempo, grafana: Grafana Explore at <base>/explore, a TraceQL query
//     for the trace ID over the last hour. The base URL may carry the
//     Tempo data source UID as ?datasource=<uid> (default "tempo") and the
//     organisation as ?orgId=<n>.
func TraceURL(sourceKind, baseURL, traceID string) string {
	id := strings.ToLower(strings.TrimSpace(traceID))
	if baseURL == "" || !isHex(id) {
		return ""
	}
	switch strings.ToLower(sourceKind) {
	case SourceJaeger:
		return strings.TrimRight(baseURL, "/") + "/trace/" + id
	case SourceZipkin:
		base := strings.TrimRight(baseURL, "/")
		base = strings.TrimSuffix(base, "/zipkin")
		return base + "/zipkin/traces/" + id
	case SourceTempo, SourceGrafana:
		return grafanaExploreURL(baseURL, id)
	default:
		return ""
	}
}

// grafanaExploreURL links to Grafana Explore with one pane querying id.
func grafanaExploreURL(baseURL, id string) string {
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	q := u.Query()
	ds := q.Get("datasource")
	if ds == "" {
		ds = "tempo"
	}
	org := q.Get("orgId")
	if org == "" {
		org = "1"
	}
	type dsRef struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	}
	type query struct {
		RefID      string `json:"refId"`
		Datasource dsRef  `json:"datasource"`
		QueryType  string `json:"queryType"`
		Query      string `json:"query"`
	}
	type timeRange struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	type pane struct {
		Datasource string    `json:"datasource"`
		Queries    []query   `json:"queries"`
		Range      timeRange `json:"range"`
	}
	panes := map[string]pane{"spanmap": {
		Datasource: ds,
		Queries: []query{{
			RefID: "A", Datasource: dsRef{Type: "tempo", UID: ds},
			QueryType: "traceql", Query: id,
		}},
		Range: timeRange{From: "now-1h", To: "now"},
	}}
	b, err := json.Marshal(panes)
	if err != nil {
		return ""
	}
	out := url.Values{}
	out.Set("schemaVersion", "1")
	out.Set("orgId", org)
	out.Set("panes", string(b))
	u.RawQuery = out.Encode()
	u.Path = strings.TrimRight(u.Path, "/") + "/explore"
	u.Fragment = ""
	return u.String()
}

func isHex(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
