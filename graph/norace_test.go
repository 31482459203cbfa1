//go:build !race

package graph

// raceScale divides the iteration counts of the property tests; see
// race_test.go.
const raceScale = 1
