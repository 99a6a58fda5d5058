package notify

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/jpops-dev/jpops/internal/redact"
)

// ParseSpec turns one --notify value into a Notifier:
//
//	stdout, stdout=json              alerts on standard output
//	telegram                         TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID (JPOPS_TELEGRAM_API overrides the API base)
//	telegram=CHAT_ID                 the same, to another chat
//	webhook=URL                      the alert as JSON
//	slack=URL                        a Slack incoming webhook
//	exec=CMD                         sh -c CMD with the alert in JPOPS_* variables
//
// getenv is os.Getenv when nil. Errors never repeat a URL: webhook URLs
// carry secrets.
func ParseSpec(spec string, getenv func(string) string) (Notifier, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	kind, value, _ := strings.Cut(strings.TrimSpace(spec), "=")
	kind = strings.ToLower(strings.TrimSpace(kind))
	value = strings.TrimSpace(value)
	switch kind {
	case "stdout":
		switch value {
		case "", "text":
			return Stdout(os.Stdout, false), nil
		case "json":
			return Stdout(os.Stdout, true), nil
		}
		return nil, fmt.Errorf("--notify stdout=%s: want stdout, stdout=text or stdout=json", value)
	case "telegram":
		token := strings.TrimSpace(getenv("TELEGRAM_BOT_TOKEN"))
		chat := value
		if chat == "" {
			chat = strings.TrimSpace(getenv("TELEGRAM_CHAT_ID"))
		}
		switch {
		case token == "":
			return nil, fmt.Errorf("--notify telegram: TELEGRAM_BOT_TOKEN is not set; export the bot token from @BotFather")
		case chat == "":
			return nil, fmt.Errorf("--notify telegram: TELEGRAM_CHAT_ID is not set; export it or pass telegram=CHAT_ID")
		}
		base := strings.TrimSpace(getenv("JPOPS_TELEGRAM_API"))
		if base != "" {
			if err := checkURL("telegram", "JPOPS_TELEGRAM_API", base); err != nil {
				return nil, err
			}
		}
		redact.Register(token)
		redact.RegisterSecretURL(base)
		return &Telegram{Token: token, ChatID: chat, BaseURL: base}, nil
	case "webhook", "slack":
		if err := checkURL(kind, kind+"=URL", value); err != nil {
			return nil, err
		}
		// Its path and query are the credential: a receiver that echoes
		// them in an error body must not put them on the screen.
		redact.RegisterSecretURL(value)
		if kind == "slack" {
			return &Slack{URL: value}, nil
		}
		return &Webhook{URL: value}, nil
	case "exec":
		if value == "" {
			return nil, fmt.Errorf("--notify exec: no command; use exec=CMD, run with sh -c and the alert in JPOPS_* variables")
		}
		return &Exec{Command: value}, nil
	case "":
		return nil, fmt.Errorf("--notify: empty value; use stdout, telegram, webhook=URL, slack=URL or exec=CMD")
	}
	if strings.ContainsAny(kind, ":/?@") {
		kind = "value" // it may be a URL: never echo one
	}
	return nil, fmt.Errorf("--notify %s: unknown notifier; use stdout, telegram, webhook=URL, slack=URL or exec=CMD", kind)
}

func checkURL(kind, what, raw string) error {
	if raw == "" {
		return fmt.Errorf("--notify %s: no URL; use %s", kind, what)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--notify %s: %s is not an http(s) URL", kind, what)
	}
	return nil
}
