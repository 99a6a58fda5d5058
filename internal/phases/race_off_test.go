//go:build !race

package phases_test

const raceEnabled = false
