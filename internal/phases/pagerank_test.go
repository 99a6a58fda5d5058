package phases

import "testing"

// Within the window every first page ranks before any second; past it a
// machine's next page ranks one window after its last, not after every
// other machine's pages, so its reads stay close together.
func TestPageRank(t *testing.T) {
	tests := []struct {
		name     string
		machines int
	}{
		{"one machine", 1},
		{"a fleet inside the window", rankWindow},
		{"a large fleet", 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.machines {
				for page := 1; page < 4; page++ {
					if d := pageRank(i, page) - pageRank(i, page-1); d != rankWindow {
						t.Fatalf("machine %d: page %d ranks %d after page %d, want %d", i, page, d, page-1, rankWindow)
					}
				}
				if tt.machines <= rankWindow && pageRank(i, 0) >= pageRank(0, 1) {
					t.Errorf("machine %d's first page ranks %d, not before the first machine's second (%d)", i, pageRank(i, 0), pageRank(0, 1))
				}
			}
		})
	}
}
