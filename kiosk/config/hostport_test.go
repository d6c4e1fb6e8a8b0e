package config

import "testing"

func TestSplitHostPort(t *testing.T) {
	tests := []struct {
		addr, host, port string
		ok               bool
	}{
		{"192.168.1.50:9100", "192.168.1.50", "9100", true},
		{"printer.local:9100", "printer.local", "9100", true},
		{"[fe80::1]:9100", "fe80::1", "9100", true},
		{":9100", "", "9100", true},
		{"printer:", "printer", "", true},
		{"printer", "", "", false},
		{"fe80::1:9100", "", "", false},
		{"[fe80::1:9100", "", "", false},
		{"[fe80::1]]:9100", "", "", false},
		{"printer:91]00", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		host, port, ok := splitHostPort(tt.addr)
		if host != tt.host || port != tt.port || ok != tt.ok {
			t.Errorf("splitHostPort(%q) = %q, %q, %v; want %q, %q, %v", tt.addr, host, port, ok, tt.host, tt.port, tt.ok)
		}
	}
}
