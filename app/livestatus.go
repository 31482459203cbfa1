package app

import (
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// liveStatus shows whether the map is live or paused (a toggle), how long
// ago it last changed and the state of the connection.
type liveStatus struct {
	app.Compo

	// Paused is set while live updates are frozen.
	Paused bool
	// Connected is set while the stream is open.
	Connected bool
	// ConnErr says why the stream is down.
	ConnErr string
	// RetryIn is the wait before the next connection attempt.
	RetryIn time.Duration
	// Age is the time since the map last changed; 0 before any update.
	Age time.Duration
	// HasData is set once a snapshot arrived.
	HasData bool
	// Past is set when the View is anchored in the past (from/to): its map
	// is not live.
	Past bool
}

// newLiveStatus returns the status of a page that has not connected yet.
func newLiveStatus() *liveStatus { return &liveStatus{} }

func (l *liveStatus) onToggle(ctx app.Context, e app.Event) {
	ctx.NewAction(actionPause)
}

// Render draws the toggle and the status text.
func (l *liveStatus) Render() app.UI {
	state, text := l.describe()
	label, title := "pause", "pause live updates (space)"
	if l.Paused {
		label, title = "resume", "resume live updates (space)"
	}
	return app.Div().Class("live-status", state).Role("status").Body(
		app.Span().Class("live-dot").Aria("hidden", "true"),
		app.Span().Class("live-text").Text(text),
		app.Button().Class("button small").Aria("pressed", l.Paused).Title(title).
			OnClick(l.onToggle).Text(label),
	)
}

// describe returns the state class and the sentence shown.
func (l *liveStatus) describe() (class, text string) {
	age := ""
	if l.HasData {
		age = "updated " + FormatAge(l.Age.Seconds())
	}
	switch {
	case !l.Connected && l.ConnErr != "":
		retry := ""
		if l.RetryIn > 0 {
			retry = ", retrying in " + strconv.Itoa(int(l.RetryIn.Round(time.Second)/time.Second)) + " s"
		}
		if age != "" {
			age = " · " + age
		}
		return "offline", "disconnected" + retry + age
	case !l.Connected:
		return "connecting", "connecting…"
	case l.Paused:
		return "paused", "paused · " + nonEmpty(age, "waiting for data")
	case l.Past:
		return "past", "past range · not live"
	default:
		return "live", "live · " + nonEmpty(age, "waiting for data")
	}
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
