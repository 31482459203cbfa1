package layout

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestExperimentSpeed(t *testing.T) {
	ctx := context.Background()
	l, _ := New(Config{})
	defer l.Close()
	n, _ := strconv.Atoi(os.Getenv("N"))
	base := randomSnapshot(uint64(n), n, 3*n)
	for _, v := range strings.Split(os.Getenv("VARIANTS"), "|") {
		parts := strings.SplitN(v+"::", ":", 4)
		eng := Engine(parts[0])
		a := clone(base)
		in, _ := buildInput(&a, Options{Engine: eng})
		in.dot = bytes.Replace(in.dot, []byte("graph ["), []byte("graph ["+parts[1]+" "), 1)
		in.dot = bytes.Replace(in.dot, []byte("edge ["), []byte("edge ["+parts[2]+" "), 1)
		var out bytes.Buffer
		t0 := time.Now()
		if err := l.run(ctx, in.dot, eng.program(), "json0", &out); err != nil {
			t.Fatal(err)
		}
		res, err := parseOutput(out.Bytes(), &a, in)
		if err != nil {
			t.Fatal(err)
		}
		res.apply(&a)
		fmt.Printf("N=%d %-60s %-10v W=%.0f H=%.0f overlaps=%d\n", n, v, time.Since(t0).Round(time.Millisecond), a.Width, a.Height, overlaps(&a))
	}
}
