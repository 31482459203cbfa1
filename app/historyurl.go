package app

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spanmap/spanmap/graph"
)

// Page parameters of the map page's history features. They ride in the
// page URL next to the View's parameters, so shared links restore them,
// but they are not part of the View: the server never sees them.
const (
	// ParamCompare turns compare mode on: a preset (ComparePresets) or a
	// custom reference range "FROM/TO" in RFC 3339.
	ParamCompare = "compare"
	// ParamReplay is "play" while the time slider replays history.
	ParamReplay = "replay"
	// ParamSpeed is the replay speed, a factor of real time (ReplaySpeeds);
	// absent means 1.
	ParamSpeed = "speed"
	// ParamScale is the span of the time slider (SliderScales); absent
	// picks the smallest span that shows the View's range.
	ParamScale = "scale"
)

// Compare presets: the reference range the View's range is compared with.
const (
	// ComparePrevious is the window just before the View's range.
	ComparePrevious = "previous"
	// CompareYesterday is the same range 24 hours earlier.
	CompareYesterday = "yesterday"
	// CompareLastWeek is the same range 7 days earlier.
	CompareLastWeek = "last-week"
)

// replayPlay is ParamReplay's value while replaying.
const replayPlay = "play"

// ComparePresets are the compare presets with their labels, in the order
// the selector offers them.
func ComparePresets() [][2]string {
	return [][2]string{
		{ComparePrevious, "previous window"},
		{CompareYesterday, "same time yesterday"},
		{CompareLastWeek, "same time last week"},
	}
}

// ReplaySpeeds are the replay speeds offered, factors of real time.
func ReplaySpeeds() []int { return []int{1, 10, 30, 60} }

// SliderScales are the spans the time slider can show.
func SliderScales() []time.Duration {
	return []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}
}

// HistoryParams is the history state of the map page: compare mode, the
// replay and the time slider's span. The zero value is live, no compare,
// no replay, speed 1 and an automatic span.
type HistoryParams struct {
	// Compare is "" (off), a preset or a custom range "FROM/TO".
	Compare string
	// Replay is set while replaying.
	Replay bool
	// Speed is the replay speed; 0 means 1.
	Speed int
	// Scale is the slider's span; 0 picks one from the View.
	Scale time.Duration
}

// speed returns the replay speed, 1 when unset.
func (h HistoryParams) speed() int {
	if h.Speed <= 0 {
		return 1
	}
	return h.Speed
}

// values returns h as query parameters; defaults are left out.
func (h HistoryParams) values() url.Values {
	q := url.Values{}
	if h.Compare != "" {
		q.Set(ParamCompare, h.Compare)
	}
	if h.Replay {
		q.Set(ParamReplay, replayPlay)
	}
	if h.speed() != 1 {
		q.Set(ParamSpeed, strconv.Itoa(h.speed()))
	}
	if h.Scale > 0 {
		q.Set(ParamScale, ScaleLabel(h.Scale))
	}
	return q
}

// ErrHistoryParam is wrapped by the errors of SplitHistoryQuery.
var ErrHistoryParam = errors.New("bad history parameter")

// SplitHistoryQuery takes the history parameters out of a page's raw
// query string. It returns the rest of the query (the View and the access
// token) and the parameters read; a bad parameter is dropped and reported
// in err (wrapping ErrHistoryParam), the others still apply.
func SplitHistoryQuery(rawQuery string) (rest string, h HistoryParams, err error) {
	vals, perr := url.ParseQuery(rawQuery)
	if perr != nil {
		return rawQuery, h, nil // ViewFromQuery reports the broken query
	}
	var errs []error
	bad := func(param, value, want string) {
		errs = append(errs, fmt.Errorf("%w %s: bad value %q: %s", ErrHistoryParam, param, value, want))
	}
	take := func(param string) string {
		v := vals[param]
		vals.Del(param)
		if len(v) > 1 {
			bad(param, strings.Join(v, ","), "given more than once")
			return ""
		}
		if len(v) == 0 {
			return ""
		}
		return v[0]
	}
	if c := take(ParamCompare); c != "" {
		if _, _, ok := parseCompareRange(c); ok || isComparePreset(c) {
			h.Compare = c
		} else {
			bad(ParamCompare, c, "want previous, yesterday, last-week or FROM/TO in RFC 3339")
		}
	}
	switch r := take(ParamReplay); r {
	case "":
	case replayPlay:
		h.Replay = true
	default:
		bad(ParamReplay, r, "want play")
	}
	if s := take(ParamSpeed); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || !slices.Contains(ReplaySpeeds(), n) {
			bad(ParamSpeed, s, "want 1, 10, 30 or 60")
		} else {
			h.Speed = n
		}
	}
	if s := take(ParamScale); s != "" {
		d := scaleFromLabel(s)
		if d == 0 {
			bad(ParamScale, s, "want 1h, 6h, 24h or 7d")
		}
		h.Scale = d
	}
	return vals.Encode(), h, errors.Join(errs...)
}

// ScaleLabel names a slider span: "1h", "6h", "24h", "7d".
func ScaleLabel(d time.Duration) string {
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	if d > 0 && d%time.Hour == 0 {
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return WindowLabel(d)
}

// scaleFromLabel returns the slider span written as label, 0 when it is
// not one of SliderScales.
func scaleFromLabel(label string) time.Duration {
	for _, d := range SliderScales() {
		if ScaleLabel(d) == label {
			return d
		}
	}
	return 0
}

func isComparePreset(s string) bool {
	for _, p := range ComparePresets() {
		if p[0] == s {
			return true
		}
	}
	return false
}

// parseCompareRange reads a custom compare range "FROM/TO" (RFC 3339,
// FROM before TO).
func parseCompareRange(s string) (from, to time.Time, ok bool) {
	a, b, found := strings.Cut(s, "/")
	if !found {
		return from, to, false
	}
	from, err1 := time.Parse(time.RFC3339Nano, a)
	to, err2 := time.Parse(time.RFC3339Nano, b)
	if err1 != nil || err2 != nil || !from.Before(to) {
		return time.Time{}, time.Time{}, false
	}
	return from.UTC(), to.UTC(), true
}

// CompareRange writes a custom compare range as ParamCompare takes it.
func CompareRange(from, to time.Time) string {
	return from.UTC().Format(time.RFC3339) + "/" + to.UTC().Format(time.RFC3339)
}

// HistoryURL is PageURL with the history parameters appended.
func HistoryURL(path string, v graph.View, token string, h HistoryParams) string {
	u := PageURL(path, v, token)
	q := h.values().Encode()
	switch {
	case q == "":
		return u
	case strings.Contains(u, "?"):
		return u + "&" + q
	default:
		return u + "?" + q
	}
}
