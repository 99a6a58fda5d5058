package flysim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"time"
)

// Serve runs a simulator on addr until ctx is done, after printing its base
// URL, the token to use and ready-to-paste env and curl lines. With no
// opts.Token it makes one up, so the printed token is the only one accepted.
func Serve(ctx context.Context, opts Options, addr string, out io.Writer) error {
	if opts.Token == "" {
		b := make([]byte, 12)
		rand.Read(b) //nolint:errcheck // crypto/rand does not fail on supported platforms
		opts.Token = "flysim-" + hex.EncodeToString(b)
	}
	s, err := New(opts)
	if err != nil {
		return err
	}
	url, err := s.Start(addr)
	if err != nil {
		return err
	}
	first := s.MachineIDs()[0]
	fmt.Fprintf(out, "flysim: scenario %s (%s)\n", s.sc.name, s.sc.desc)
	fmt.Fprintf(out, "simulated time %s, speed %gx\n", s.clock.Now().Format(time.RFC3339), s.clock.Speed())
	fmt.Fprintf(out, "base URL: %s\ntoken:    %s\n\n", url, opts.Token)
	fmt.Fprintf(out, "export FLY_FLAPS_BASE_URL=%s\nexport FLY_API_BASE_URL=%s\nexport FLY_API_TOKEN=%s\n\n", url, url, opts.Token)
	fmt.Fprintf(out, "curl -sH \"Authorization: Bearer $FLY_API_TOKEN\" $FLY_FLAPS_BASE_URL/v1/apps/%s/machines\n", s.app)
	fmt.Fprintf(out, "curl -sH \"Authorization: Bearer $FLY_API_TOKEN\" \"$FLY_API_BASE_URL/api/v1/apps/%s/logs?next_token=\"\n", s.app)
	fmt.Fprintf(out, "curl -s -H \"fly-force-instance-id: %s\" %s/app/v1/healthz\n", first, url)
	<-ctx.Done()
	shutCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.shutdown(shutCtx); err != nil {
		return s.Close()
	}
	return nil
}
