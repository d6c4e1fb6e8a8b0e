package main

import (
	"testing"
	"time"
)

func TestProcessAge(t *testing.T) {
	// A real line's shape, with a command name that holds a space and a parenthesis.
	stat := "4242 (kiosk (x) y) S 1 4242 4242 0 -1 4194304 1205 0 0 0 12 3 0 0 20 0 14 0 123456 1234567 890 18446744073709551615"
	tests := []struct {
		name, stat, uptime string
		want               time.Duration
		err                bool
	}{
		{"started 1.5 s ago", stat, "1236.06 4000.00\n", 1500 * time.Millisecond, false},
		{"just started", stat, "1234.56 4000.00\n", 0, false},
		{"no name", "4242 kiosk S 1", "1236.06 1", 0, true},
		{"too few fields", "4242 (kiosk) S 1 2 3", "1236.06 1", 0, true},
		{"start after uptime", stat, "1000.00 1", 0, true},
		{"bad uptime", stat, "soon", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := processAge(tt.stat, tt.uptime)
			if tt.err {
				if err == nil {
					t.Fatalf("processAge = %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("processAge = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestProcessStartIsBeforeMain(t *testing.T) {
	if age := time.Since(processStart); age < 0 || age > time.Hour {
		t.Errorf("process started %v ago", age)
	}
}
