// Command recordflyctl records flyctl-text-edges.log: it prints each log
// entry of flyctl-text-edges.ndjson with flyctl's own logs printer, as
// `flyctl logs` does. It builds only inside a checkout of superfly/flyctl
// (the printer is internal to it), so it lives under testdata, out of
// jpops's build. To regenerate, from a flyctl checkout:
//
//	mkdir -p cmd/recordflyctl && cp JPOPS/internal/bootlog/testdata/recordflyctl/main.go cmd/recordflyctl/
//	go run ./cmd/recordflyctl < JPOPS/internal/bootlog/testdata/flyctl-text-edges.ndjson \
//		> JPOPS/internal/bootlog/testdata/flyctl-text-edges.log
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/superfly/flyctl/internal/render"
	"github.com/superfly/flyctl/logs"
)

func main() {
	dec := json.NewDecoder(os.Stdin)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for {
		var e logs.LogEntry
		if err := dec.Decode(&e); err == io.EOF {
			return
		} else if err != nil {
			fmt.Fprintln(os.Stderr, "recordflyctl:", err)
			os.Exit(1)
		}
		// The options internal/command/logs passes for text output.
		if err := render.LogEntry(w, e, render.HideAllocID(), render.RemoveNewlines(), render.HideRegion()); err != nil {
			fmt.Fprintln(os.Stderr, "recordflyctl:", err)
			os.Exit(1)
		}
	}
}
