//go:build race

package servertest

// raceEnabled builds the binary with the race detector when the tests
// that start it run with it.
const raceEnabled = true
