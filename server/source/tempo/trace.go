package tempo

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/graph/span"
)

// Field numbers of Tempo's protobuf messages (tempopb). Trace has the wire
// layout of OTLP TracesData: field 1 repeats ResourceSpans.
const (
	// responseTrace is TraceByIDResponse.trace (a Trace).
	responseTrace protowire.Number = 1
	// responseStatus is TraceByIDResponse.status (PartialStatus).
	responseStatus protowire.Number = 3
	// statusPartial is PartialStatus PARTIAL (COMPLETE is 0).
	statusPartial = 1
)

// decodeTrace decodes a trace-by-ID body of api: v1 is a bare Trace; v2 is
// a TraceByIDResponse whose field 1 is the Trace and field 3 says whether
// it is partial. Other fields (metrics, message) are skipped.
func decodeTrace(body []byte, api TraceAPI) ([]span.Span, bool, error) {
	if api == TraceAPIv1 {
		spans, err := decode.Bytes(body, decode.OTLPProto)
		return spans, false, err
	}
	var trace []byte
	partial := false
	for b := body; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, false, fmt.Errorf("TraceByIDResponse at byte %d: %w", len(body)-len(b), protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == responseTrace && typ == protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return nil, false, fmt.Errorf("TraceByIDResponse.trace: %w", protowire.ParseError(m))
			}
			// A message field given twice is merged, which for Trace (one
			// repeated field) is concatenation.
			trace = append(trace, v...)
			n = m
		case num == responseStatus && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return nil, false, fmt.Errorf("TraceByIDResponse.status: %w", protowire.ParseError(m))
			}
			partial = v == statusPartial
			n = m
		case num == responseTrace || num == responseStatus:
			return nil, false, errors.New("TraceByIDResponse: field " + fmt.Sprint(num) + " has the wrong wire type")
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, false, fmt.Errorf("TraceByIDResponse field %d: %w", num, protowire.ParseError(n))
			}
		}
		b = b[n:]
	}
	spans, err := decode.Bytes(trace, decode.OTLPProto)
	return spans, partial, err
}
