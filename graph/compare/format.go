package compare

import (
	"fmt"
	"math"
	"strconv"
)

// ms formats a latency: "0.42 ms", "4.2 ms", "42 ms", "1.25 s".
func ms(v float64) string {
	switch {
	case v >= 1000:
		return strconv.FormatFloat(v/1000, 'f', 2, 64) + " s"
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 0, 64) + " ms"
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + " ms"
}

// pct formats a relative change as a signed percentage: "+120%", "-35%".
func pct(r float64) string {
	p := 100 * r
	if math.Abs(p) < 10 {
		return fmt.Sprintf("%+.1f%%", p)
	}
	return fmt.Sprintf("%+.0f%%", p)
}

// percent formats an error share given in percent: "0.5%", "12%".
func percent(p float64) string {
	if p >= 10 || p == 0 {
		return strconv.FormatFloat(p, 'f', 0, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// rate formats calls per second: "12 calls/s", "0.05 calls/s".
func rate(r float64) string {
	switch {
	case r >= 10:
		return strconv.FormatFloat(r, 'f', 0, 64) + " calls/s"
	case r >= 1:
		return strconv.FormatFloat(r, 'f', 1, 64) + " calls/s"
	}
	return strconv.FormatFloat(r, 'g', 2, 64) + " calls/s"
}
