package demo

import (
	"errors"
	"strings"
	"testing"
)

// A Redis URL with a password that does not parse says what is wrong
// without repeating the password (url.Error quotes the whole URL).
func TestARedisURLThatDoesNotParseNeverShowsItsPassword(t *testing.T) {
	const canary = "canary-redis-s3cret"
	_, err := Run(t.Context(), Options{Events: 1, RedisURL: "redis://:" + canary + "%zz@127.0.0.1:6379/0"})
	if !errors.Is(err, ErrRedisURL) {
		t.Fatalf("a URL with a bad escape: %v, want ErrRedisURL", err)
	}
	if strings.Contains(err.Error(), canary) {
		t.Fatalf("the error shows the password: %v", err)
	}
}
