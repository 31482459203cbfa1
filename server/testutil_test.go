package server

import (
	"os"
	"time"

	"github.com/spanmap/spanmap/server/source/conn"
)

func writeFile(path, body string) error { return os.WriteFile(path, []byte(body), 0o600) }

func connTo(url string) conn.Config { return conn.Config{URL: url, Timeout: time.Second} }
