package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/hub"
)

// testCA is a certificate authority made in the test, with its certificate in a PEM file.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	file := filepath.Join(t.TempDir(), name+".pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, file: file}
}

// leaf issues a server certificate for the names and addresses, valid from notBefore
// to notAfter.
func (ca *testCA) leaf(t *testing.T, dns []string, ips []net.IP, notBefore, notAfter time.Time) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "hub"}, DNSNames: dns, IPAddresses: ips,
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, cert
}

// serveTLS serves the hub on another loopback port with cert and returns its address.
func serveTLS(t *testing.T, lh *liveHub, cert tls.Certificate) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go lh.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	return ln.Addr().String()
}

// TestTLSLinkFailures: a terminal reaches its hub over wss:// only when the hub's
// certificate chains to the configured CA, names the address, is in date and, when
// pinned, has the pinned key; it refuses a downgrade to ws://. Every refusal leaves the
// outbox whole and the hub without a submission. Two controls deliver, so the refusals
// are the certificate's doing.
func TestTLSLinkFailures(t *testing.T) {
	lh := startHub(t, hub.Options{})
	ca, otherCA := newTestCA(t, "platform-ca"), newTestCA(t, "someone-else")
	loop := []net.IP{net.IPv4(127, 0, 0, 1)}
	now := time.Now()
	good, goodCert := ca.leaf(t, nil, loop, now.Add(-time.Hour), now.Add(time.Hour))
	wrongName, wrongCert := ca.leaf(t, []string{"hub.example.gov.cn"}, []net.IP{net.IPv4(127, 0, 0, 2)}, now.Add(-time.Hour), now.Add(time.Hour))
	expired, _ := ca.leaf(t, nil, loop, now.Add(-48*time.Hour), now.Add(-time.Hour))
	goodAddr, wrongNameAddr, expiredAddr := serveTLS(t, lh, good), serveTLS(t, lh, wrongName), serveTLS(t, lh, expired)

	// Each case is a terminal of its own (tracking codes restart with each new outbox).
	enroll := func(t *testing.T) Credentials {
		code, _, err := lh.CreateEnrollCode(time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		cr, err := EnrollWith(context.Background(), "wss://"+goodAddr, code, EnrollOptions{Link: LinkOptions{CAFile: ca.file}})
		if err != nil {
			t.Fatalf("enrolling over TLS with the platform's CA: %v", err)
		}
		return cr
	}

	tests := []struct {
		name    string
		addr    string
		link    LinkOptions
		deliver bool
		want    string
	}{
		{"control: platform CA", goodAddr, LinkOptions{CAFile: ca.file}, true, ""},
		{"control: platform CA and the right pin", goodAddr, LinkOptions{CAFile: ca.file, Pin: PinOf(goodCert)}, true, ""},
		{"unknown CA", goodAddr, LinkOptions{CAFile: otherCA.file}, false, "unknown authority"},
		{"wrong name", wrongNameAddr, LinkOptions{CAFile: ca.file}, false, "certificate is valid for 127.0.0.2, not 127.0.0.1"},
		{"expired certificate", expiredAddr, LinkOptions{CAFile: ca.file}, false, "expired"},
		{"pin mismatch", goodAddr, LinkOptions{CAFile: ca.file, Pin: PinOf(wrongCert)}, false, ErrPinMismatch.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr := enroll(t)
			before := lh.Stats().Submissions
			q := openQueue(t, cr)
			enqueue(t, q, "", 1000)
			enqueue(t, q, "", 0)
			tlsConf, err := tt.link.TLSConfig()
			if err != nil {
				t.Fatal(err)
			}
			opt := fast(cr, q)
			opt.HubURL, opt.TLSConfig = "wss://"+tt.addr, tlsConf
			c := run(t, opt)
			if tt.deliver {
				waitFor(t, 10*time.Second, "delivery", func() bool { return delivered(q) == 2 })
				return
			}
			for deadline := time.Now().Add(10 * time.Second); c.Stats().Dials < 2 || !strings.Contains(c.State().LastError, tt.want); {
				if time.Now().After(deadline) {
					t.Fatalf("after %d dials the last error is %q, want one with %q", c.Stats().Dials, c.State().LastError, tt.want)
				}
				time.Sleep(5 * time.Millisecond)
			}
			if st, _ := q.Stats(); st.Delivered != 0 || st.Failed != 0 || st.Queued+st.Sending != 2 {
				t.Errorf("outbox %+v, want both still queued", st)
			}
			if got := lh.Stats().Submissions; got != before {
				t.Errorf("hub got %d submissions over a refused link", got-before)
			}
			if c.Stats().Connects != 0 {
				t.Error("a connection was established")
			}
		})
	}

	t.Run("downgrade to ws://", func(t *testing.T) {
		cr := enroll(t)
		q := openQueue(t, cr)
		enqueue(t, q, "", 10)
		plain := "ws://" + lh.addr // the same hub, reachable without TLS
		for _, tt := range []struct {
			name string
			tls  *tls.Config
		}{
			{"enrolled over wss://", nil},
			{"CA configured", &tls.Config{}},
		} {
			opt := fast(cr, q)
			opt.HubURL, opt.TLSConfig = plain, tt.tls
			if _, err := New(opt); !errors.Is(err, ErrInsecureLink) {
				t.Errorf("%s: New with %s: %v, want ErrInsecureLink", tt.name, plain, err)
			}
		}
		// A technician who means it can still say so (a closed lab network).
		opt := fast(cr, q)
		opt.HubURL, opt.InsecureUnencrypted = plain, true
		if _, err := New(opt); err != nil {
			t.Errorf("with the insecure option: %v", err)
		}
	})
}

func TestCheckLink(t *testing.T) {
	tests := []struct {
		url, enrolled string
		tlsSet        bool
		insecure      bool
		ok            bool
	}{
		{"ws://127.0.0.1:8470/v1/connect", "ws://127.0.0.1:8470", false, false, true},
		{"ws://localhost:8470", "", false, false, true},
		{"http://[::1]:8470", "", false, false, true},
		{"wss://hub.example.gov.cn", "wss://hub.example.gov.cn", true, false, true},
		{"ws://hub.example.gov.cn", "", false, false, false},
		{"ws://10.0.0.5:8470", "", false, false, false},
		{"http://hub.example.gov.cn", "", false, false, false},
		{"ws://hub.example.gov.cn", "", false, true, true},
		{"ws://127.0.0.1:8470", "wss://127.0.0.1:8471", false, false, false},
		{"ws://127.0.0.1:8470", "wss://127.0.0.1:8471", false, true, true},
		{"ws://127.0.0.1:8470", "", true, false, false},
		{"ws://hub.example.gov.cn", "", true, true, false},
		{"ws://localhost.evil.example", "", false, false, false},
	}
	for _, tt := range tests {
		err := CheckLink(tt.url, tt.enrolled, tt.tlsSet, tt.insecure)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInsecureLink)) {
			t.Errorf("CheckLink(%q, enrolled %q, tls %v, insecure %v) = %v, want ok=%v", tt.url, tt.enrolled, tt.tlsSet, tt.insecure, err, tt.ok)
		}
	}
}

// Enrolling is trust on first use: over http:// to another machine, whoever answers
// would be pinned. It is refused before anything is sent.
func TestEnrollRefusesUnencryptedRemote(t *testing.T) {
	_, err := EnrollWith(context.Background(), "http://hub.example.invalid:8470", "ABCD-EFGH", EnrollOptions{})
	if !errors.Is(err, ErrInsecureLink) {
		t.Errorf("enroll over http:// to another host: %v, want ErrInsecureLink", err)
	}
	if _, err := ParsePin("sha256/AAAA"); err == nil {
		t.Error("a 3-byte pin accepted")
	}
}
