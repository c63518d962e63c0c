//go:build !race

package process_test

// raceEnabled reports a build with the race detector.
const raceEnabled = false
