package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/govkiosk/govkiosk/internal/atomicfile"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// CredentialsFile is the name of the credentials file in the kiosk's data directory.
const CredentialsFile = "sync-credentials.json"

var (
	// ErrNotEnrolled means the data directory holds no credentials: run enrollment.
	ErrNotEnrolled = errors.New("client: terminal not enrolled")
	// ErrEnrollCode means the hub refused the enrollment code: unknown, used or expired.
	ErrEnrollCode = errors.New("client: enrollment code unknown, used or expired")
	// ErrCredentials means the credentials file exists but cannot be used (bad content,
	// or readable by group or others).
	ErrCredentials = errors.New("client: unusable credentials file")
	// ErrNoHubKey means the credentials hold no pinned hub key (they are from before
	// protocol version 2, or from a hub that does not prove itself): the terminal must
	// enroll again. It comes wrapped together with ErrNotEnrolled.
	ErrNoHubKey = errors.New("client: credentials hold no pinned hub key (enroll again)")
)

// Credentials are what enrollment gives a terminal: its identity at one hub and the
// private key it proves that identity with on every connect. Keep them in a 0600 file
// (Save, LoadCredentials).
type Credentials struct {
	// Hub is the hub's address as given at enrollment (ws://, wss://, http:// or https://).
	Hub          string `json:"hub"`
	HubID        string `json:"hub_id"`
	TerminalID   string `json:"terminal_id"`
	TerminalCode string `json:"terminal_code"`
	// PrivateKey is the terminal's Ed25519 key; it never leaves the terminal.
	PrivateKey ed25519.PrivateKey `json:"private_key"`
	EnrolledAt time.Time          `json:"enrolled_at"`
	// IdentityKey is the hub's Ed25519 public key for identity QR codes (package
	// idcode), with which the kiosk checks a resident's code offline. It is empty in
	// credentials from before hubs handed it out, or from a hub that does not: such a
	// terminal does not offer identification by QR code.
	IdentityKey ed25519.PublicKey `json:"identity_key,omitempty"`
	// HubKey is the hub's Ed25519 public key, pinned at enrollment: on every connect
	// the hub must prove it holds the private half before the terminal sends anything
	// (protocol version 2). Credentials from before version 2 lack it and are refused
	// with ErrNoHubKey: enroll again.
	HubKey ed25519.PublicKey `json:"hub_key"`
}

func (c Credentials) validate() error {
	switch {
	case c.Hub == "":
		return fmt.Errorf("%w: no hub address", ErrCredentials)
	case !protocol.ValidID(c.HubID) || !protocol.ValidID(c.TerminalID):
		return fmt.Errorf("%w: bad hub or terminal id", ErrCredentials)
	case !protocol.ValidTerminalCode(c.TerminalCode):
		return fmt.Errorf("%w: bad terminal code", ErrCredentials)
	case len(c.PrivateKey) != ed25519.PrivateKeySize:
		return fmt.Errorf("%w: bad private key", ErrCredentials)
	case len(c.IdentityKey) != 0 && len(c.IdentityKey) != ed25519.PublicKeySize:
		return fmt.Errorf("%w: bad hub identity key", ErrCredentials)
	case len(c.HubKey) == 0:
		return fmt.Errorf("%w: %w", ErrNotEnrolled, ErrNoHubKey)
	case len(c.HubKey) != ed25519.PublicKeySize:
		return fmt.Errorf("%w: bad pinned hub key", ErrCredentials)
	}
	return nil
}

// LoadCredentials reads dir/CredentialsFile. It returns ErrNotEnrolled when there is
// none and ErrCredentials when it is damaged or readable by others.
func LoadCredentials(dir string) (Credentials, error) {
	path := filepath.Join(dir, CredentialsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Credentials{}, fmt.Errorf("%w: no %s in %s", ErrNotEnrolled, CredentialsFile, dir)
	}
	if err != nil {
		return Credentials{}, fmt.Errorf("client: read credentials: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("client: read credentials: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return Credentials{}, fmt.Errorf("%w: %s is readable by others (chmod 600)", ErrCredentials, path)
	}
	var c Credentials
	if err := json.Unmarshal(b, &c); err != nil {
		return Credentials{}, fmt.Errorf("%w: %s is not valid JSON", ErrCredentials, path)
	}
	if err := c.validate(); err != nil {
		return Credentials{}, err
	}
	return c, nil
}

// Save writes the credentials to dir/CredentialsFile with mode 0600, durably (temp file,
// fsync, rename, fsync of the directory).
func (c Credentials) Save(dir string) error {
	if err := c.validate(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("client: save credentials: %w", err)
	}
	err = atomicfile.WriteFile(filepath.Join(dir, CredentialsFile), append(b, '\n'), 0o600)
	if err != nil {
		return fmt.Errorf("client: save credentials: %w", err)
	}
	return nil
}

// endpoints turns a hub address (ws, wss, http or https, optionally with a base path)
// into the enrollment URL and the websocket URL.
func endpoints(hub string) (enroll, connect string, err error) {
	u, err := url.Parse(strings.TrimSpace(hub))
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("client: hub address %q: want ws://HOST:PORT or wss://HOST:PORT", hub)
	}
	var httpScheme, wsScheme string
	switch u.Scheme {
	case "ws", "http":
		httpScheme, wsScheme = "http", "ws"
	case "wss", "https":
		httpScheme, wsScheme = "https", "wss"
	default:
		return "", "", fmt.Errorf("client: hub address %q: scheme must be ws, wss, http or https", hub)
	}
	base := strings.TrimSuffix(u.Path, "/")
	e, c := *u, *u
	e.Scheme, e.Path, e.RawQuery, e.Fragment = httpScheme, base+protocol.EnrollPath, "", ""
	c.Scheme, c.Path, c.RawQuery, c.Fragment = wsScheme, base+protocol.ConnectPath, "", ""
	return e.String(), c.String(), nil
}

// EnrollOptions adjust EnrollWith.
type EnrollOptions struct {
	// HTTPClient talks to the hub; set its TLS configuration for a private CA.
	// Default: one built from Link.
	HTTPClient *http.Client
	// Link is the CA file, certificate pin and insecure-link permission (see CheckLink:
	// enrolling over http:// to a host not on loopback is refused without
	// Link.InsecureUnencrypted, since whoever answers is the hub the terminal pins).
	Link LinkOptions
	// App is the kiosk software version reported to the hub. Default "unknown".
	App string
	// Name is a label for the hub's terminal list.
	Name string
}

// Enroll registers this terminal with the hub using a one-time code from an operator: it
// makes a new Ed25519 key, sends the public half and returns the credentials (not yet
// saved: call Save), with the hub's identity-code key when the hub has one.
func Enroll(ctx context.Context, hubURL, code string) (Credentials, error) {
	return EnrollWith(ctx, hubURL, code, EnrollOptions{})
}

// EnrollWith is Enroll with options.
func EnrollWith(ctx context.Context, hubURL, code string, opt EnrollOptions) (Credentials, error) {
	enrollURL, _, err := endpoints(hubURL)
	if err != nil {
		return Credentials{}, err
	}
	if err := CheckLink(enrollURL, "", opt.Link.CAFile != "" || opt.Link.Pin != "", opt.Link.InsecureUnencrypted); err != nil {
		return Credentials{}, err
	}
	if opt.HTTPClient == nil {
		if opt.HTTPClient, err = opt.Link.HTTPClient(); err != nil {
			return Credentials{}, err
		}
	}
	if opt.App == "" {
		opt.App = "unknown"
	}
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		return Credentials{}, fmt.Errorf("client: generate key: %w", err)
	}
	req := protocol.EnrollRequest{Code: strings.TrimSpace(code), PublicKey: pub, App: opt.App, Name: opt.Name}
	if err := req.Validate(); err != nil {
		return Credentials{}, fmt.Errorf("client: enroll: %w", err)
	}
	body, _ := json.Marshal(req)
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, enrollURL, bytes.NewReader(body))
	if err != nil {
		return Credentials{}, fmt.Errorf("client: enroll: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	// Ask for the hub's identity-code key (a hub without one answers as before) and for
	// the key the hub proves itself with on every connect, which is required.
	hreq.Header.Set(protocol.EnrollFeaturesHeader, protocol.FeatureIdentityKey+","+protocol.FeatureHubKey)
	resp, err := opt.HTTPClient.Do(hreq)
	if err != nil {
		return Credentials{}, fmt.Errorf("client: enroll: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Credentials{}, fmt.Errorf("client: enroll: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e protocol.Error
		if json.Unmarshal(raw, &e) == nil && e.Code != "" {
			if e.Code == protocol.CodeEnrollInvalid {
				return Credentials{}, ErrEnrollCode
			}
			return Credentials{}, fmt.Errorf("client: enroll: %w", &e)
		}
		return Credentials{}, fmt.Errorf("client: enroll: hub answered %s", resp.Status)
	}
	er, err := protocol.DecodeEnrollResponse(raw)
	if err != nil {
		return Credentials{}, fmt.Errorf("client: enroll: hub answer: %w", err)
	}
	if len(er.HubKey) == 0 {
		return Credentials{}, fmt.Errorf("client: enroll: %w: the hub sent no key to pin (it speaks no protocol version 2)", ErrNoHubKey)
	}
	return Credentials{Hub: hubURL, HubID: er.HubID, TerminalID: er.TerminalID, TerminalCode: er.TerminalCode,
		PrivateKey: key, EnrolledAt: er.EnrolledAt, IdentityKey: ed25519.PublicKey(er.IdentityKey),
		HubKey: ed25519.PublicKey(er.HubKey)}, nil
}
