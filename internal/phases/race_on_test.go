//go:build race

package phases_test

// raceEnabled: the race detector slows line-by-line output handling about
// tenfold, so the flood row floods less under -race.
const raceEnabled = true
