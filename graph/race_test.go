//go:build race

package graph

// raceScale divides the iteration counts of the property tests under the
// race detector, which makes them several times slower without finding
// more: the code under test starts no goroutines.
const raceScale = 4
