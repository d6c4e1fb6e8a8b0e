package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/protocol/idcode"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// qrResident is synthetic: region 99, a correct GB 11643 check character.
var qrResident = hub.IdentityCodeRequest{Name: "测试乙", IDNumber: "99010219850506002X", Address: "测试省测试市示例路1号"}

// logSink collects log lines to check them for personal data.
type logSink struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// enrolledAt starts a hub, enrolls a terminal whose credentials go to a fresh data
// directory, and returns both.
func enrolledAt(t *testing.T) (*hub.Hub, string) {
	t.Helper()
	h, err := hub.New(hub.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go h.Serve(ln)
	code, _, err := h.CreateEnrollCode(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cr, err := client.Enroll(context.Background(), "ws://"+ln.Addr().String(), code)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := cr.Save(dir); err != nil {
		t.Fatal(err)
	}
	return h, dir
}

func TestNewQRIdentifier(t *testing.T) {
	_, enrolled := enrolledAt(t)
	withoutKey := t.TempDir()
	cr, err := client.LoadCredentials(enrolled)
	if err != nil {
		t.Fatal(err)
	}
	cr.IdentityKey = nil
	if err := cr.Save(withoutKey); err != nil {
		t.Fatal(err)
	}
	damaged := t.TempDir()
	os.WriteFile(filepath.Join(damaged, client.CredentialsFile), []byte("{"), 0o600)

	tests := []struct {
		name  string
		dir   string
		offer bool
	}{
		{"enrolled with the hub's key", enrolled, true},
		{"enrolled before hubs gave the key", withoutKey, false},
		{"not enrolled", t.TempDir(), false},
		{"damaged credentials", damaged, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newQRIdentifier(tt.dir, slog.New(slog.DiscardHandler))
			// A nil *qrIdentifier in the interface would make the screen offer QR codes.
			if (q != nil) != tt.offer {
				t.Errorf("QR identification offered = %v, want %v", q != nil, tt.offer)
			}
		})
	}
}

func TestIdentifyQR(t *testing.T) {
	h, dir := enrolledAt(t)
	issue := func(req hub.IdentityCodeRequest) string {
		t.Helper()
		c, err := h.IssueIdentityCode(req)
		if err != nil {
			t.Fatal(err)
		}
		return c.Payload
	}
	good, replayed, expiring, tampered := issue(qrResident), issue(qrResident), issue(qrResident), issue(qrResident)
	// One character of the signature changes to another base64url letter.
	b := []byte(tampered)
	at := len(b) - 10
	if b[at] == 'A' {
		b[at] = 'B'
	} else {
		b[at] = 'A'
	}
	tampered = string(b)
	other, _ := hub.New(hub.Options{Dir: t.TempDir()})
	fromOther, err := other.IssueIdentityCode(qrResident)
	other.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The hub goes away: codes are checked offline.
	h.Close()

	logs := &logSink{}
	qi := newQRIdentifier(dir, slog.New(slog.NewTextHandler(logs, nil)))
	if qi == nil {
		t.Fatal("no QR identification for a terminal enrolled with the key")
	}
	q := qi.(*qrIdentifier)

	id, err := q.IdentifyQR(context.Background(), good)
	if err != nil {
		t.Fatalf("a fresh code with the hub down: %v", err)
	}
	want := identity.Identity{CardType: identity.QRCode, Name: qrResident.Name, IDNumber: qrResident.IDNumber, IDNumberValid: true,
		Gender: identity.GenderByCode("2"), Birth: identity.Date{Year: 1985, Month: time.May, Day: 6}, Address: qrResident.Address}
	if id.CardType != want.CardType || id.Name != want.Name || id.IDNumber != want.IDNumber || !id.IDNumberValid ||
		id.Gender != want.Gender || id.Birth != want.Birth || id.Address != want.Address {
		t.Errorf("identity %+v, want %+v", *id, want)
	}
	if _, err := q.IdentifyQR(context.Background(), replayed); err != nil {
		t.Fatal(err)
	}

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		payload string
		later   time.Duration
		want    error
		newCode bool // the screen should say "get a new code"
	}{
		{"used again", context.Background(), replayed, 0, idcode.ErrReplayed, true},
		{"expired", context.Background(), expiring, idcode.DefaultLifetime + idcode.Leeway, idcode.ErrExpired, true},
		{"another platform's", context.Background(), fromOther.Payload, 0, idcode.ErrWrongHub, false},
		{"altered", context.Background(), tampered, 0, idcode.ErrBadSignature, false},
		{"a receipt's QR code", context.Background(), "K7Q2-00001-A", 0, idcode.ErrNotIdentityCode, false},
		{"oversized", context.Background(), idcode.Prefix + strings.Repeat("A", 400), 0, idcode.ErrTooLarge, false},
		{"garbled", context.Background(), good[:len(good)-3] + "!!!", 0, idcode.ErrMalformed, false},
		{"screen left", canceled, good, 0, context.Canceled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q.now = func() time.Time { return time.Now().Add(tt.later) }
			t.Cleanup(func() { q.now = time.Now })
			id, err := q.IdentifyQR(tt.ctx, tt.payload)
			if !errors.Is(err, tt.want) || id != nil {
				t.Fatalf("IdentifyQR = %v, %v; want %v", id, err, tt.want)
			}
			if idcode.NeedsNewCode(err) != tt.newCode {
				t.Errorf("NeedsNewCode = %v, want %v", !tt.newCode, tt.newCode)
			}
			// The screen words "get a new code" on exactly the codes that need one.
			if errors.Is(err, ui.ErrQRNeedsNewCode) != tt.newCode {
				t.Errorf("wraps ui.ErrQRNeedsNewCode = %v, want %v", !tt.newCode, tt.newCode)
			}
		})
	}

	out := logs.String()
	if !strings.Contains(out, "reason=replayed") || !strings.Contains(out, "reason=wrong_hub") {
		t.Errorf("refusals not logged by reason:\n%s", out)
	}
	for _, secret := range []string{qrResident.Name, qrResident.IDNumber, qrResident.Address, good[len(idcode.Prefix):][:16], "1985"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains personal data %q:\n%s", secret, out)
		}
	}
}

// TestIdentifyByQRCodeInTheKiosk drives the real wiring (simulated devices, the local
// hub, Fyne's test driver): with the card reader unplugged, the identify screen offers a
// QR code, a code from the hub's API scanned on the barcode scanner signs the qrResident
// in, and the form comes up filled from it.
func TestIdentifyByQRCodeInTheKiosk(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the simulated kiosk")
	}
	test.NewTempApp(t)
	loop := &uitest.Loop{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	o := &options{simulate: true, dataDir: t.TempDir(), hubListen: "127.0.0.1:0"}
	logs := &logSink{}
	w := test.NewTempWindow(t, nil)
	k, err := assemble(ctx, o, host{app: fyne.CurrentApp(), window: w, do: loop.Do, logOut: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k.close()
		loop.Drain()
	})
	w.Resize(uitest.Landscape)
	s := &soakKiosk{t: t, k: k, loop: loop}
	if err := k.sim.card.Unplug(); err != nil {
		t.Fatal(err)
	}
	s.screen("home")
	s.tap("home.apply")
	s.screen("catalog")
	s.tap("catalog.category.print")
	s.tap("catalog.service.hukou-cert")
	s.screen("guide")
	s.tap("guide.begin")
	s.screen("identify")
	s.tap("identify.qr")

	code, err := k.sim.hub.IssueIdentityCode(qrResident)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.sim.codes.Scan(code.Payload); err != nil {
		t.Fatal(err)
	}
	s.screen("form")
	id := k.ui.Session().Identity()
	if id == nil || id.CardType != identity.QRCode {
		t.Fatalf("session identity %+v, want one from a QR code", id)
	}
	f := k.ui.Session().Form()
	if f.Value("applicant_name") != qrResident.Name || f.Value("applicant_id") != qrResident.IDNumber || !f.Locked("applicant_id") {
		t.Errorf("form not filled from the code: name %q, id %q", f.Value("applicant_name"), f.Value("applicant_id"))
	}
	for _, secret := range []string{qrResident.Name, qrResident.IDNumber, code.Payload[len(idcode.Prefix):][:16]} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("kiosk log contains personal data %q", secret)
		}
	}
}
