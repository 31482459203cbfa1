package demo

import (
	"fmt"
	"log/slog"
	"time"
)

// Config configures the demo system.
type Config struct {
	// Rate is the mean number of user requests (root traces) per second.
	// The count per interval is Poisson distributed around it. Traces that
	// consumers start from Kafka messages come on top.
	Rate float64 `yaml:"rate"`
	// Interval is how often Run hands a batch to the sink. A batch holds the
	// traces that completed during the time since the previous one.
	Interval time.Duration `yaml:"interval"`
	// Seed makes generation deterministic: the same seed and the same
	// sequence of Batch calls give the same spans.
	Seed uint64 `yaml:"seed"`
	// IncidentPeriod is the length of the scripted incident cycle; zero
	// turns incidents off. See IncidentAt for the phases.
	IncidentPeriod time.Duration `yaml:"incident_period"`
	// BurstErrorRate is the probability that a payment-provider call fails
	// with 503 during the error burst.
	BurstErrorRate float64 `yaml:"burst_error_rate"`
	// SpikeFactor multiplies the latency of inventory's PostgreSQL queries
	// during the latency spike.
	SpikeFactor float64 `yaml:"spike_factor"`
	// ErrorScale multiplies every baseline error probability; 0 gives error
	// free traffic outside the error burst, 1 the default mix.
	ErrorScale float64 `yaml:"error_scale"`
	// MaxClockSkew bounds the clock offset of each service instance, so a
	// server span may start slightly before its client span as in real
	// fleets. Zero gives perfectly nested timestamps.
	MaxClockSkew time.Duration `yaml:"max_clock_skew"`
	// Now is the clock Run reads; nil means time.Now.
	Now func() time.Time `yaml:"-"`
	// Logger receives Run's export failures; nil discards them.
	Logger *slog.Logger `yaml:"-"`
}

// DefaultConfig returns the demo's defaults: 20 traces per second, a batch
// every second and a three-minute incident cycle.
func DefaultConfig() Config {
	return Config{
		Rate:           20,
		Interval:       time.Second,
		Seed:           1,
		IncidentPeriod: 3 * time.Minute,
		BurstErrorRate: 0.6,
		SpikeFactor:    12,
		ErrorScale:     1,
		MaxClockSkew:   time.Millisecond,
	}
}

// MinIncidentPeriod is the shortest incident cycle Validate accepts.
const MinIncidentPeriod = 10 * time.Second

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case !(c.Rate > 0) || c.Rate > 1e5:
		return fmt.Errorf("demo: rate must be in (0, 100000] traces per second, got %g", c.Rate)
	case c.Interval <= 0:
		return fmt.Errorf("demo: interval must be positive, got %s", c.Interval)
	case c.IncidentPeriod < 0 || (c.IncidentPeriod > 0 && c.IncidentPeriod < MinIncidentPeriod):
		return fmt.Errorf("demo: incident period must be 0 (off) or at least %s, got %s", MinIncidentPeriod, c.IncidentPeriod)
	case !(c.BurstErrorRate >= 0 && c.BurstErrorRate <= 1):
		return fmt.Errorf("demo: burst error rate must be in [0, 1], got %g", c.BurstErrorRate)
	case !(c.SpikeFactor >= 1 && c.SpikeFactor <= 1000):
		return fmt.Errorf("demo: spike factor must be in [1, 1000], got %g", c.SpikeFactor)
	case !(c.ErrorScale >= 0 && c.ErrorScale <= 100):
		return fmt.Errorf("demo: error scale must be in [0, 100], got %g", c.ErrorScale)
	case c.MaxClockSkew < 0 || c.MaxClockSkew >= time.Second:
		return fmt.Errorf("demo: max clock skew must be in [0, 1s), got %s", c.MaxClockSkew)
	}
	return nil
}

// Incident is one scripted fault of the incident cycle.
type Incident uint8

// The incidents, in the order they occur within a cycle.
const (
	// IncidentNone is the quiet time between incidents.
	IncidentNone Incident = iota
	// IncidentErrorBurst makes payment's calls to the payment provider fail
	// with probability Config.BurstErrorRate (HTTP 503, retried).
	IncidentErrorBurst
	// IncidentLatencySpike slows inventory's PostgreSQL queries by
	// Config.SpikeFactor.
	IncidentLatencySpike
	// IncidentNewDependency makes recommendation call a new ml-scoring
	// service, which exists only during this phase.
	IncidentNewDependency
)

var incidentNames = [...]string{"none", "error-burst", "latency-spike", "new-dependency"}

// String returns the incident's name.
func (i Incident) String() string {
	if int(i) < len(incidentNames) {
		return incidentNames[i]
	}
	return fmt.Sprintf("incident(%d)", uint8(i))
}

// incidentPhases are the fractions [from, to) of the cycle each incident
// occupies; the gaps between them are quiet.
var incidentPhases = [...]struct {
	inc      Incident
	from, to float64
}{
	{IncidentErrorBurst, 0.10, 0.30},
	{IncidentLatencySpike, 0.40, 0.60},
	{IncidentNewDependency, 0.70, 0.90},
}

// IncidentAt returns the incident active at t. Cycles are aligned to the Unix
// epoch, so every generator with the same period agrees. Within a cycle the
// error burst covers [10%, 30%), the latency spike [40%, 60%) and the new
// dependency [70%, 90%); with a three-minute period that is 0:18-0:54,
// 1:12-1:48 and 2:06-2:42 past each cycle start.
func (c Config) IncidentAt(t time.Time) Incident {
	if c.IncidentPeriod <= 0 {
		return IncidentNone
	}
	_, pos := c.cycle(t)
	for _, ph := range incidentPhases {
		if pos >= c.bound(ph.from) && pos < c.bound(ph.to) {
			return ph.inc
		}
	}
	return IncidentNone
}

// IncidentWindow returns the start and end of the occurrence of inc in the
// cycle that contains t. It returns zero times for IncidentNone or when
// incidents are off.
func (c Config) IncidentWindow(inc Incident, t time.Time) (from, to time.Time) {
	if c.IncidentPeriod <= 0 {
		return time.Time{}, time.Time{}
	}
	start, _ := c.cycle(t)
	for _, ph := range incidentPhases {
		if ph.inc == inc {
			return time.Unix(0, start+c.bound(ph.from)), time.Unix(0, start+c.bound(ph.to))
		}
	}
	return time.Time{}, time.Time{}
}

// cycle returns the start of the cycle containing t and t's offset into it,
// in nanoseconds.
func (c Config) cycle(t time.Time) (start, pos int64) {
	p := int64(c.IncidentPeriod)
	ns := t.UnixNano()
	pos = ns % p
	if pos < 0 {
		pos += p
	}
	return ns - pos, pos
}

// bound converts a fraction of the cycle into a nanosecond offset.
func (c Config) bound(f float64) int64 { return int64(f * float64(c.IncidentPeriod)) }
