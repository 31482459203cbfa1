package server

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
)

// A shutdown that comes before the gRPC server started serving is a clean
// stop, not an error that fails Run.
func TestServeGRPC_stopBeforeServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := serveGRPC(ctx, grpc.NewServer(), ln, time.Second); err != nil {
			t.Fatalf("round %d: serveGRPC = %v, want nil", i, err)
		}
	}
}
