package client

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
)

var (
	// ErrInsecureLink means the hub address would carry residents' data unencrypted
	// (ws:// or http://) where that is not allowed: to anything but loopback without
	// LinkOptions.InsecureUnencrypted, to a hub enrolled over wss:// (a downgrade), or
	// with a CA file or pin configured (which only TLS can honour).
	ErrInsecureLink = errors.New("client: unencrypted link to the hub refused")
	// ErrPinMismatch means the hub's TLS certificate key is not the pinned one.
	ErrPinMismatch = errors.New("client: the hub's certificate key does not match the pin")
)

// LinkOptions say how the terminal reaches its hub safely: which CAs it trusts, which
// certificate key it expects, and whether an unencrypted link is allowed at all.
type LinkOptions struct {
	// CAFile is a PEM file of the CA certificates the hub's certificate must chain to.
	// Empty: the system's roots.
	CAFile string
	// Pin, if set, is the SHA-256 of the hub certificate's SubjectPublicKeyInfo, standard
	// base64 (optionally prefixed "sha256/"), as printed by
	//
	//	openssl x509 -in hub.crt -pubkey -noout | openssl pkey -pubin -outform der |
	//	  openssl dgst -sha256 -binary | base64
	//
	// The connection is refused unless the hub's leaf certificate has that key, on top
	// of the usual chain and name checks.
	Pin string
	// InsecureUnencrypted allows ws:// and http:// to a hub that is not on loopback. It
	// sends every resident's form in clear; for closed test networks only.
	InsecureUnencrypted bool
}

// TLSConfig returns the client TLS configuration for the options, or nil when neither a
// CA file nor a pin is set (the system's roots then apply).
func (o LinkOptions) TLSConfig() (*tls.Config, error) {
	if o.CAFile == "" && o.Pin == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CAFile != "" {
		b, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("client: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("client: CA file %s holds no PEM certificate", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	if o.Pin != "" {
		want, err := ParsePin(o.Pin)
		if err != nil {
			return nil, err
		}
		// VerifyConnection runs after the usual chain and name verification, which
		// stays on: the pin narrows what is trusted, it never widens it.
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return ErrPinMismatch
			}
			got := sha256.Sum256(cs.PeerCertificates[0].RawSubjectPublicKeyInfo)
			if !bytes.Equal(got[:], want) {
				return ErrPinMismatch
			}
			return nil
		}
	}
	return cfg, nil
}

// ParsePin decodes a certificate key pin (see LinkOptions.Pin) into its 32 bytes.
func ParsePin(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), "sha256/"))
	if err != nil || len(b) != sha256.Size {
		return nil, errors.New("client: pin: want the base64 SHA-256 (32 bytes) of the hub certificate's public key")
	}
	return b, nil
}

// PinOf returns the pin (LinkOptions.Pin) of a certificate.
func PinOf(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256/" + base64.StdEncoding.EncodeToString(sum[:])
}

// HTTPClient returns an HTTP client for enrollment that uses the options' TLS settings.
func (o LinkOptions) HTTPClient() (*http.Client, error) {
	cfg, err := o.TLSConfig()
	if err != nil || cfg == nil {
		return &http.Client{}, err
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, Proxy: http.ProxyFromEnvironment}}, nil
}

// CheckLink refuses a hub address that would carry residents' data unencrypted where
// that is not allowed (ErrInsecureLink). enrolledAt is the address the terminal enrolled
// with (empty if unknown); tlsSet says whether a CA file or pin is configured.
func CheckLink(hubURL, enrolledAt string, tlsSet, insecure bool) error {
	u, err := url.Parse(strings.TrimSpace(hubURL))
	if err != nil {
		return fmt.Errorf("client: hub address %q: %w", hubURL, err)
	}
	if u.Scheme != "ws" && u.Scheme != "http" {
		return nil
	}
	switch {
	case tlsSet:
		return fmt.Errorf("%w: %s is unencrypted but a CA file or certificate pin is configured; use wss://", ErrInsecureLink, u.Redacted())
	case insecure:
		return nil
	case enrolledAt != "" && isTLSScheme(enrolledAt):
		return fmt.Errorf("%w: the terminal enrolled over TLS (%s); %s would downgrade it", ErrInsecureLink, enrolledAt, u.Redacted())
	case !IsLoopback(u.Hostname()):
		return fmt.Errorf("%w: %s is not on this machine; use wss:// (or, on a closed test network only, the insecure unencrypted link option)", ErrInsecureLink, u.Redacted())
	}
	return nil
}

func isTLSScheme(addr string) bool {
	u, err := url.Parse(strings.TrimSpace(addr))
	return err == nil && (u.Scheme == "wss" || u.Scheme == "https")
}

// IsLoopback reports whether host (a name or an IP address, no port) is this machine:
// "localhost" or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
