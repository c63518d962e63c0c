//go:build race

package process_test

// raceEnabled reports a build with the race detector, whose shadow memory
// needs terabytes of address space.
const raceEnabled = true
