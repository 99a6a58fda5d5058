package flyctl

import (
	"fmt"
	"testing"
)

func TestBudgetKeepsHeadTailAndMarks(t *testing.T) {
	for _, tc := range []struct {
		lines             int
		wantHead, wantOmt int
	}{
		{lines: 10, wantHead: 10},
		{lines: 1000, wantHead: 1000},
		{lines: 1100, wantHead: 1000},
		{lines: 216216, wantHead: 1000, wantOmt: 216216 - 1000 - 200 - 1},
	} {
		t.Run(fmt.Sprint(tc.lines), func(t *testing.T) {
			b := DefaultBudget()
			var now []string
			for i := range tc.lines {
				text := fmt.Sprintf("line %d", i)
				if i == tc.lines/2 && tc.lines > 2000 {
					text = "image: registry.fly.io/app:deployment-01FLOOD"
				}
				if b.Take(Line{Text: text}) {
					now = append(now, text)
				}
			}
			tail, omitted := b.Finish()
			head := min(tc.lines, 1000)
			if len(now) < head || now[head-1] != fmt.Sprintf("line %d", head-1) {
				t.Fatalf("journaled at once %d lines, want the first %d", len(now), head)
			}
			wantTail := min(max(tc.lines-1000, 0), 200)
			if tc.lines > 2000 {
				if now[len(now)-1] != "image: registry.fly.io/app:deployment-01FLOOD" {
					t.Errorf("the image line in the middle of the flood was not journaled")
				}
			}
			if len(tail) != wantTail || (wantTail > 0 && tail[len(tail)-1].Text != fmt.Sprintf("line %d", tc.lines-1)) {
				t.Fatalf("tail %d lines, want the last %d", len(tail), wantTail)
			}
			if omitted != tc.wantOmt {
				t.Errorf("omitted %d, want %d", omitted, tc.wantOmt)
			}
			if got := len(now) + len(tail) + omitted; got != tc.lines {
				t.Errorf("journaled %d + tail %d + counted %d = %d, want every one of %d lines accounted for", len(now), len(tail), omitted, got, tc.lines)
			}
		})
	}
}
