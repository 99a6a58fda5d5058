package watch

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkFleetPage is one watchdog round against the simulated platform
// with every machine of the fleet wedged: list, read the logs back to the
// machines' start, judge, and deliver the page to a webhook on loopback.
// It reports the pages sent and the machines they name: one page, every
// machine. Figures in docs/performance.md.
func BenchmarkFleetPage(b *testing.B) {
	for _, fleet := range []int{20, 200, 1000} {
		b.Run(strconv.Itoa(fleet)+"-machines", func(b *testing.B) {
			r := newRigB(b, "db-boot-hang")
			r.sim.Grow(fleet)
			recv := newReceiver(b)
			var pages, named int
			for b.Loop() {
				w := r.pager(b, filepath.Join(b.TempDir(), "watch", "app.json"), recv, nil)
				if _, _, err := w.Once(context.Background()); err != nil {
					b.Fatal(err)
				}
				got := recv.take()
				pages = len(got)
				if pages > 0 {
					named = len(wedgedMachines(got[0]))
				}
			}
			b.ReportMetric(float64(pages), "pages")
			b.ReportMetric(float64(named), "machines-named")
		})
	}
}
