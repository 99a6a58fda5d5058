package flyctl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// authTokenTimeout bounds `flyctl auth token`: a refresh is a few API calls.
const authTokenTimeout = 20 * time.Second

// AuthToken asks flyctl for the token it would use now. Before it answers,
// flyctl prunes the expired tokens of its config file, fetches fresh
// discharge tokens and writes the file back, as it does before every
// command (docs/fly-platform.md, "Tokens"); jpops, which cannot do that
// itself, takes the result so it acts as the same identity as flyctl. The
// token is never logged; an error never quotes flyctl's output.
func AuthToken(ctx context.Context, argv []string, env []string) (string, error) {
	if len(argv) == 0 {
		return "", ErrNotFound
	}
	ctx, cancel := context.WithTimeout(ctx, authTokenTimeout)
	defer cancel()
	args := append(slices.Clone(argv[1:]), "auth", "token", "--quiet")
	cmd := exec.CommandContext(ctx, argv[0], args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout = &limited{w: &out, n: 64 << 10}
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", fmt.Errorf("%s auth token exited %d: run `flyctl auth login`", argv[0], exit.ExitCode())
		}
		return "", fmt.Errorf("%s auth token: %w", argv[0], err)
	}
	tok := strings.TrimSpace(out.String())
	bare := tok
	for _, scheme := range []string{"FlyV1 ", "Bearer "} {
		bare = strings.TrimPrefix(bare, scheme)
	}
	if bare == "" || strings.ContainsAny(bare, "\n\r\t ") {
		return "", fmt.Errorf("%s auth token printed no single token", argv[0])
	}
	return tok, nil
}

// limited writes at most n bytes to w and drops the rest.
type limited struct {
	w interface{ Write([]byte) (int, error) }
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if l.n <= 0 {
		return len(p), nil
	}
	q := p
	if len(q) > l.n {
		q = q[:l.n]
	}
	l.n -= len(q)
	if _, err := l.w.Write(q); err != nil {
		return 0, err
	}
	return len(p), nil
}
