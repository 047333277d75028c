package resync

import (
	"testing"
	"time"
)

func TestJitter(t *testing.T) {
	for range 100 {
		if d := Jitter(5 * time.Minute); d < 270*time.Second || d > 330*time.Second {
			t.Fatalf("jitter(5m) = %s", d)
		}
	}
}
