//go:build !race

package decode

// raceEnabled reports a -race build, where large generated inputs are
// shrunk to keep the tests quick.
const raceEnabled = false
