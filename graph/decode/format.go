package decode

import (
	"fmt"
	"strings"
)

// Format names an input encoding of spans.
type Format string

// The supported formats. Auto asks Stream to detect the format from the first
// bytes of the input (see Detect).
const (
	Auto        Format = "auto"
	OTLPJSON    Format = "otlp-json"
	OTLPProto   Format = "otlp-proto"
	Zipkin      Format = "zipkin"
	ZipkinProto Format = "zipkin-proto"
	JaegerJSON  Format = "jaeger-json"
	JaegerProto Format = "jaeger-proto"
)

// Formats returns every format ParseFormat accepts, Auto first.
func Formats() []Format {
	return []Format{Auto, OTLPJSON, OTLPProto, Zipkin, ZipkinProto, JaegerJSON, JaegerProto}
}

// String returns the format's name.
func (f Format) String() string { return string(f) }

// ParseFormat parses a format name as written on a command line or in a
// config file. Names are case-insensitive; "" means Auto and "zipkin-json" is
// accepted for Zipkin.
func ParseFormat(s string) (Format, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	switch name {
	case "":
		return Auto, nil
	case "zipkin-json":
		return Zipkin, nil
	}
	for _, f := range Formats() {
		if string(f) == name {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w %q (want one of %s)", ErrUnknownFormat, s, formatList())
}

func formatList() string {
	fs := Formats()
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}
