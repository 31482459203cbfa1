package rawpb

import "testing"

func TestCodec_roundTrip(t *testing.T) {
	var c Codec
	buf := []byte{0x0a, 0x01, 'x'}
	var m Message
	if err := c.Unmarshal(buf, &m); err != nil {
		t.Fatal(err)
	}
	buf[2] = 'y' // the codec must have copied
	got, err := c.Marshal(&m)
	if err != nil || string(got) != "\n\x01x" {
		t.Fatalf("round trip = %q, %v", got, err)
	}
	if _, err := c.Marshal("not a message"); err == nil {
		t.Fatal("marshalled a string")
	}
	if err := c.Unmarshal(buf, new(int)); err == nil {
		t.Fatal("unmarshalled into an int")
	}
	if c.Name() != "proto" {
		t.Fatal(c.Name())
	}
}
