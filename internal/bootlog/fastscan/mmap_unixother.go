//go:build unix && !linux

package fastscan

// adviseHuge does nothing where there is no such advice.
func adviseHuge([]byte) {}
