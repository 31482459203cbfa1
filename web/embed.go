// Package web embeds spanmap's static browser assets (stylesheet, icons and,
// in a `make build` binary, the compiled app.wasm) so the server binary runs
// from any directory. app.wasm is a build output: when it has not been built,
// the server still starts and says so on the page.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
)

//go:embed *
var files embed.FS

// FS returns the embedded assets, rooted at the web directory.
func FS() fs.FS { return files }

// HasWasm reports whether app.wasm was embedded at build time.
func HasWasm() bool {
	_, err := fs.Stat(files, "app.wasm")
	return err == nil
}

// Version returns a short content hash of the embedded assets, used to bust
// browser caches when the app changes.
func Version() string {
	h := sha256.New()
	_ = fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:16]
}
