// Package e2e runs the real kiosk binary in a real X window (Xvfb) against the device
// simulators (each speaking its device's wire protocol over a pseudo-terminal or HTTP) and
// the reference hub, and completes a service as a resident would: by tapping the screen
// with xdotool. Screenshots of every step are saved (see shotsEnv) to be looked at.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// trackingRE matches a tracking code as printed: terminal code, sequence, check character.
var trackingRE = regexp.MustCompile(`\b[0-9A-Z]{4}-[0-9A-Z]{5}-[0-9A-Z]\b`)

// world is everything the kiosk talks to in the test: the hub and the four simulators.
type world struct {
	dir, bin, root   string
	hubAddr, docAddr string
	opToken          string
	hub              *proc
	card, printer    *proc
	barcode          *proc
	printedDir       string
}

const enrollCode = "E2ETEST2026"

func startWorld(t *testing.T) *world {
	t.Helper()
	w := &world{dir: t.TempDir(), bin: binaries(t), root: repoRoot(t)}
	w.opToken = "e2e-operator-token"
	tokenFile := filepath.Join(w.dir, "operator.token")
	if err := os.WriteFile(tokenFile, []byte(w.opToken), 0o600); err != nil {
		t.Fatal(err)
	}
	appts := filepath.Join(w.dir, "appointments.json")
	if err := os.WriteFile(appts, []byte(`{"items": {"driving-renew": 1}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	w.hubAddr = freeAddr(t)
	w.hub = start(t, nil, filepath.Join(w.bin, "kiosk-hub"), "-listen", w.hubAddr, "-data", filepath.Join(w.dir, "hub"),
		"-key", filepath.Join(w.dir, "hub-keys", "hub.key"),
		"-catalog", filepath.Join(w.root, "assets", "catalog", "default.json"),
		"-enroll-code", enrollCode, "-operator-token-file", tokenFile,
		// The sample cards' synthetic e-licences, and one place per half-day for the
		// driving-licence renewal, so a slot fills with one resident.
		"-licences", filepath.Join(w.root, "assets", "licences"), "-appointments", appts)
	eventually(t, 15*time.Second, "hub /healthz", func() error {
		_, err := getText("http://" + w.hubAddr + "/healthz")
		return err
	})

	dev := filepath.Join(w.dir, "dev")
	w.card = start(t, nil, filepath.Join(w.bin, "kioskctl"), "sim", "idcard", "--link", filepath.Join(dev, "idcard"))
	w.card.line(t, 0, 10*time.Second)
	w.printedDir = filepath.Join(w.dir, "printed")
	w.printer = start(t, nil, filepath.Join(w.bin, "kioskctl"), "sim", "printer", "--link", filepath.Join(dev, "printer"), "--out", w.printedDir)
	w.printer.line(t, 0, 10*time.Second)
	w.barcode = start(t, nil, filepath.Join(w.bin, "kioskctl"), "sim", "scanner", "--link", filepath.Join(dev, "barcode"))
	w.barcode.line(t, 0, 10*time.Second)
	w.docAddr = freeAddr(t)
	start(t, nil, filepath.Join(w.bin, "kioskctl"), "sim", "docscanner", "--addr", w.docAddr)
	eventually(t, 10*time.Second, "eSCL simulator", func() error {
		_, err := getText("http://" + w.docAddr + "/eSCL/ScannerStatus")
		return err
	})

	// The technician's steps on a new terminal: enroll, then write the configuration.
	enroll := exec.Command(filepath.Join(w.bin, "kioskctl"), "enroll", "--hub", "ws://"+w.hubAddr, "--code", enrollCode,
		"--data", filepath.Join(w.dir, "data"), "--name", "e2e")
	if out, err := enroll.CombinedOutput(); err != nil {
		t.Fatalf("kioskctl enroll: %v\n%s", err, out)
	}
	cfg := fmt.Sprintf(`terminal_id = "E2E-01"
data_dir = %q
queue_key_file = %q
log_level = "info"

[hall]
name_zh = "端到端测试大厅"
name_en = "End-to-end test hall"

[platform]
url = "ws://%s"

[session]
idle_timeout = "5m"
warning_time = "30s"

[[device]]
name = "idcard"
kind = "idcard"
transport = "serial"
path = %q
baud = 115200

[[device]]
name = "printer"
kind = "printer"
transport = "serial"
path = %q
baud = 115200
paper_width_mm = 80

[[device]]
name = "barcode"
kind = "barcode"
transport = "serial"
path = %q
baud = 9600

[[device]]
name = "docscanner"
kind = "docscanner"
transport = "escl"
address = "http://%s/eSCL"
`, filepath.Join(w.dir, "data"), filepath.Join(w.dir, "keys", "queue.key"), w.hubAddr, filepath.Join(dev, "idcard"), filepath.Join(dev, "printer"),
		filepath.Join(dev, "barcode"), w.docAddr)
	if err := os.WriteFile(filepath.Join(w.dir, "kiosk.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// startKiosk starts the real kiosk binary full screen on a 1920×1080 virtual display.
func (w *world) startKiosk(t *testing.T) (*screen, *proc) {
	t.Helper()
	return w.startKioskOn(t, 1920, 1080)
}

// startKioskOn starts the real kiosk binary full screen on a virtual display of the
// given size.
func (w *world) startKioskOn(t *testing.T, width, height int) (*screen, *proc) {
	t.Helper()
	disp := startXvfb(t, width, height)
	shots := os.Getenv(shotsEnv)
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "govkiosk-e2e-shots", t.Name())
	}
	_ = os.RemoveAll(shots)
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots: %s", shots)
	mapPath := filepath.Join(w.dir, "ui-map.json")
	k := start(t, []string{"DISPLAY=" + disp}, filepath.Join(w.bin, "kiosk"),
		"-config", filepath.Join(w.dir, "kiosk.toml"), "-ui-map", mapPath)
	return &screen{t: t, display: disp, width: width, height: height, mapPath: mapPath, shots: shots}, k
}

type submissionList struct {
	Count       int `json:"count"`
	Total       int `json:"total"`
	Submissions []struct {
		TrackingCode string            `json:"tracking_code"`
		Item         string            `json:"item"`
		Attachments  int               `json:"attachments"`
		Fields       map[string]string `json:"fields"`
	} `json:"submissions"`
}

func TestResidentCompletesAServiceOnTheRealKiosk(t *testing.T) {
	w, s, kiosk := kioskTest(t)
	s.shot("home")

	s.tap("home.apply")
	s.wait("catalog", 10*time.Second)
	s.tap("catalog.category.housing")
	time.Sleep(300 * time.Millisecond)
	s.shot("catalog-housing")
	s.tap("catalog.service.hpf-withdraw-rent")

	s.wait("guide", 10*time.Second)
	s.shot("guide")
	s.tap("guide.begin")

	s.wait("identify", 10*time.Second)
	s.shot("identify")
	w.card.send(t, "place resident")

	s.wait("form", 20*time.Second)
	s.shot("form-prefilled")
	s.fillForm(
		formField{"monthly_rent", "2500"},
		formField{"withdraw_amount", "2000"},
		formField{"bank_account", "6222020200112233445"},
		formField{"phone", "13800138000"},
	)
	s.shot("form-filled")
	s.tap("form.next")

	s.wait("materials", 10*time.Second)
	s.shot("materials")
	for _, m := range []string{"lease-contract", "bank-card"} {
		s.tap("materials.scan." + m)
		s.find("materials.retake." + m) // shown once the page is scanned
	}
	// The tenancy agreement has 4 pages and the item accepts 3: with 3 the kiosk says
	// what is missing and offers to go on with fewer.
	s.scanPage("lease-contract")
	s.scanPage("lease-contract")
	s.shot("materials-scanned")
	s.tap("materials.next")
	s.tap("materials.fewer")

	s.wait("review", 10*time.Second)
	s.shot("review")
	s.tap("review.confirm")

	s.wait("receipt", 60*time.Second)
	s.shot("receipt")

	// The printer simulator decoded what the kiosk sent over the serial line.
	var printed string
	eventually(t, 20*time.Second, "receipt printed", func() error {
		b, err := os.ReadFile(filepath.Join(w.printedDir, "0001.txt"))
		if err != nil {
			return err
		}
		printed = string(b)
		return nil
	})
	code := trackingRE.FindString(printed)
	if code == "" {
		t.Fatalf("no tracking code on the printed receipt:\n%s", printed)
	}
	const idNumber = "990101199001010019" // assets/cards/resident.json, synthetic
	if strings.Contains(printed, idNumber) {
		t.Fatalf("the receipt prints the full ID number:\n%s", printed)
	}
	if !strings.Contains(printed, idNumber[:4]) || !strings.Contains(printed, idNumber[14:]) {
		t.Errorf("the receipt lacks the masked ID number (%s…%s):\n%s", idNumber[:4], idNumber[14:], printed)
	}

	s.tap("receipt.done")
	s.wait("rate", 10*time.Second)
	s.tap("rate.star.5")
	s.shot("rate")
	s.tap("rate.send")
	s.wait("thanks", 10*time.Second)
	s.shot("thanks")
	s.tap("thanks.home")
	s.wait("home", 10*time.Second)
	s.shot("home-after")

	// The hub has exactly this one submission, with both scans and the card's data.
	got := w.submissionAtHub(t, code)
	sub := got.Submissions[0]
	if got.Total != 1 {
		t.Errorf("hub holds %d submissions in all, want exactly 1", got.Total)
	}
	// 3 pages of the tenancy agreement and the bank card.
	if sub.Item != "hpf-withdraw-rent" || sub.Attachments != 4 {
		t.Errorf("hub got item %q with %d attachments, want hpf-withdraw-rent with 4", sub.Item, sub.Attachments)
	}
	if got := sub.Fields["_pages_short"]; got != "lease-contract:3/4" {
		t.Errorf("hub field _pages_short %q; want lease-contract:3/4 (went on with fewer pages)", got)
	}
	if sub.Fields["applicant_id"] != idNumber || sub.Fields["phone"] != "13800138000" || sub.Fields["bank_account"] != "6222020200112233445" {
		t.Errorf("hub fields: applicant_id %q, phone %q, bank_account %q", sub.Fields["applicant_id"], sub.Fields["phone"], sub.Fields["bank_account"])
	}

	// The rating went its own way to the hub.
	eventually(t, 30*time.Second, "rating at the hub", func() error {
		m, err := getText("http://" + w.hubAddr + "/metrics")
		if err != nil {
			return err
		}
		if !regexp.MustCompile(`(?m)^govkiosk_hub_ratings_total 1$`).MatchString(m) {
			return errNotYet
		}
		return nil
	})

	// Nothing personal in the kiosk's log.
	for _, secret := range []string{idNumber, "测试甲", "13800138000", "6222020200112233445"} {
		if strings.Contains(kiosk.stderr(), secret) {
			t.Errorf("kiosk log contains personal data %q", secret)
		}
	}
}

// formField is what a resident types into one field of the form (form.field.ID).
type formField struct{ id, value string }

// fillForm taps each field and types its value on the keypad, in order.
func (s *screen) fillForm(fields ...formField) {
	s.t.Helper()
	for _, f := range fields {
		s.tap("form.field." + f.id)
		s.keys(f.value)
	}
}

// submissionAtHub waits until the hub lists the submission with this tracking code, with
// its personal fields, and returns the listing (Count 1; Total is all the hub holds).
func (w *world) submissionAtHub(t *testing.T, code string) submissionList {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got submissionList
	eventually(t, 45*time.Second, "submission at the hub", func() error {
		url := fmt.Sprintf("http://%s/api/submissions?tracking_code=%s&personal=1", w.hubAddr, code)
		got = submissionList{}
		if err := getJSONAuth(ctx, url, w.opToken, &got); err != nil {
			return err
		}
		if got.Count != 1 {
			return fmt.Errorf("hub lists %d submissions for %s", got.Count, code)
		}
		return nil
	})
	return got
}

func getJSONAuth(ctx context.Context, url, token string, out any) error {
	req, err := newRequest(ctx, url, token)
	if err != nil {
		return err
	}
	return doJSON(req, out)
}
