package decode

import "bytes"

// urlHost returns the host of an absolute URL without port or user info,
// nil if b is not an absolute URL.
func urlHost(b []byte) []byte {
	i := bytes.Index(b, []byte("://"))
	if i <= 0 || !isScheme(b[:i]) {
		return nil
	}
	h := b[i+3:]
	if j := bytes.IndexAny(h, "/?#"); j >= 0 {
		h = h[:j]
	}
	if j := bytes.LastIndexByte(h, '@'); j >= 0 {
		h = h[j+1:]
	}
	return stripPort(h)
}

// isScheme reports whether b is a URL scheme: a letter, then letters,
// digits, '+', '-' or '.'.
func isScheme(b []byte) bool {
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return len(b) > 0
}

// stripPort removes a ":port" suffix and IPv6 brackets from a host.
func stripPort(h []byte) []byte {
	if len(h) > 0 && h[0] == '[' {
		if j := bytes.IndexByte(h, ']'); j > 0 {
			return h[1:j]
		}
		return h
	}
	if j := bytes.LastIndexByte(h, ':'); j >= 0 && bytes.IndexByte(h[:j], ':') < 0 {
		return h[:j]
	}
	return h
}

// traceStateProbability returns the sampling probability an OpenTelemetry
// tracestate carries in its "ot" entry's "th" threshold (1 - th/2^56, with th
// right-padded to 14 hex digits), 0 when there is none or it is malformed.
func traceStateProbability(ts []byte) float64 {
	for len(ts) > 0 {
		var member []byte
		if i := bytes.IndexByte(ts, ','); i >= 0 {
			member, ts = ts[:i], ts[i+1:]
		} else {
			member, ts = ts, nil
		}
		member = bytes.TrimSpace(member)
		if !bytes.HasPrefix(member, []byte("ot=")) {
			continue
		}
		for v := member[3:]; len(v) > 0; {
			var kv []byte
			if i := bytes.IndexByte(v, ';'); i >= 0 {
				kv, v = v[:i], v[i+1:]
			} else {
				kv, v = v, nil
			}
			if bytes.HasPrefix(kv, []byte("th:")) {
				return thresholdProbability(kv[3:])
			}
		}
		return 0
	}
	return 0
}

// thresholdProbability converts a th value (1 to 14 hex digits).
func thresholdProbability(th []byte) float64 {
	if len(th) == 0 || len(th) > 14 {
		return 0
	}
	var t uint64
	for i := 0; i < 14; i++ {
		var d byte
		if i < len(th) {
			if d = unhex(th[i]); d > 15 {
				return 0
			}
		}
		t = t<<4 | uint64(d)
	}
	return 1 - float64(t)/(1<<56)
}
