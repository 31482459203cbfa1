// Package rawpb is a gRPC codec that moves protobuf messages as bytes, for
// services spanmap speaks without generated types: the OTLP receiver hands
// export bodies straight to graph/decode, and the Jaeger api_v3 client sends
// hand-encoded requests. The codec keeps the name "proto", so peers see an
// ordinary protobuf service.
package rawpb

import "fmt"

// Message is a protobuf message as bytes.
type Message struct {
	// B is the encoded message.
	B []byte
}

// Codec marshals and unmarshals *Message values only.
type Codec struct{}

// Marshal returns the message's bytes.
func (Codec) Marshal(v any) ([]byte, error) {
	m, ok := v.(*Message)
	if !ok {
		return nil, fmt.Errorf("rawpb: cannot marshal %T", v)
	}
	return m.B, nil
}

// Unmarshal copies data into the message: gRPC reuses its buffer after
// Unmarshal returns.
func (Codec) Unmarshal(data []byte, v any) error {
	m, ok := v.(*Message)
	if !ok {
		return fmt.Errorf("rawpb: cannot unmarshal into %T", v)
	}
	m.B = append(m.B[:0], data...)
	return nil
}

// Name is the content subtype, "proto".
func (Codec) Name() string { return "proto" }
