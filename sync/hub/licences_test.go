package hub

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/kiosk/licence"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Synthetic holders (region 9901, not assigned).
const (
	holderA = "990101199003071237"
	holderB = "990101198001011236"
)

func writeLicences(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

const licenceFile = `[
 {"id_number": "990101199003071237", "type": "household_register", "ref": "EL-HR-0001",
  "number": "HR99010100000021", "title": {"zh": "居民户口簿", "en": "Household register"},
  "issuer": "样例市公安局示范派出所", "issued": "2020-05-01"},
 {"id_number": "990101199003071237", "type": "property_certificate", "ref": "EL-PC-0001",
  "number": "99010100000042", "issuer": "样例市不动产登记中心", "issued": "2021-01-02"},
 {"id_number": "990101198001011236", "type": "marriage_certificate", "ref": "EL-MC-0002"}
]`

// The reference provider finds a holder's licences of the asked types only, by the
// keyed hash alone; the answer masks the licence number; an unknown type is refused by
// name; every lookup is on the audit chain without the holder; queries are limited per
// terminal.
func TestLicenceQuery(t *testing.T) {
	dir := t.TempDir()
	writeLicences(t, dir, "sample.json", licenceFile)
	th := startHub(t, Options{LicenceDir: dir})
	tk := th.enroll(t)
	r := th.connect(t, tk)
	key := r.welcome.QueryKey

	r.send(&protocol.LicenceQuery{ID: "l1", IDHash: protocol.IDHash(key, holderA), Types: []string{"household_register", "business_licence"}})
	got := expect[*protocol.Licences](r)
	if got.ID != "l1" || len(got.Items) != 1 {
		t.Fatalf("answer %+v; want the household register only", got)
	}
	l := got.Items[0]
	if l.Type != "household_register" || l.Ref != "EL-HR-0001" || l.TitleZh != "居民户口簿" || l.Issued.IsZero() {
		t.Errorf("licence %+v", l)
	}
	if l.Number != "HR99********0021" {
		t.Errorf("number %q not masked", l.Number)
	}

	r.send(&protocol.LicenceQuery{ID: "l2", IDHash: protocol.IDHash(key, "990101197001011231"), Types: []string{"household_register"}})
	if got := expect[*protocol.Licences](r); len(got.Items) != 0 {
		t.Fatalf("a stranger found %+v", got.Items)
	}

	r.send(&protocol.LicenceQuery{ID: "l3", IDHash: protocol.IDHash(key, holderA), Types: []string{"household_register", "hukou_book"}})
	e := r.expectErr(protocol.CodeUnknownLicenceType)
	if e.Ref != "l3" || !strings.Contains(e.Message, `"hukou_book"`) {
		t.Errorf("refusal %+v should name the type", e)
	}

	entries, err := th.AuditLog(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var lookups []AuditEntry
	for _, e := range entries {
		if e.Action == "licence_query" {
			lookups = append(lookups, e)
		}
	}
	if len(lookups) != 2 || lookups[0].Actor != "terminal:"+tk.id || lookups[0].Target != "household_register,business_licence" ||
		lookups[0].Purpose != "found 1" || lookups[1].Purpose != "found 0" {
		t.Fatalf("audit %+v", lookups)
	}
	raw, _ := os.ReadFile(th.opt.AuditLogFile)
	if th.opt.AuditLogFile == "" {
		raw, _ = os.ReadFile(filepath.Join(th.dir, "audit.log"))
	}
	for _, secret := range []string{holderA, protocol.IDHash(key, holderA), "HR99010100000021"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("audit log holds %q", secret)
		}
	}

	refused := false
	for range 2 * licenceBurst {
		r.send(&protocol.LicenceQuery{ID: "lw", IDHash: protocol.IDHash(key, holderB), Types: []string{"marriage_certificate"}})
		m, err := r.recv()
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := m.(*protocol.Error); ok && e.Code == protocol.CodeTryLater {
			refused = true
			break
		}
	}
	if !refused {
		t.Error("no rate limit on licence queries")
	}
}

// The operator edits the directory while the hub runs: a new licence is found at the next
// query, and a broken edit keeps the previous contents.
func TestLicenceDirectoryReloads(t *testing.T) {
	dir := t.TempDir()
	writeLicences(t, dir, "a.json", licenceFile)
	p, err := newDirLicences(dir, make([]byte, 32), func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	ask := func(n string, ty licence.Type) int {
		t.Helper()
		got, err := p.Licences(context.Background(), LicenceRequest{IDHash: protocol.IDHash(make([]byte, 32), n), Types: []licence.Type{ty}})
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	if ask(holderB, licence.BusinessLicence) != 0 {
		t.Fatal("found a licence not in the directory")
	}
	writeLicences(t, dir, "b.json", `[{"id_number": "990101198001011236", "type": "business_licence", "ref": "EL-BL-7"}]`)
	if ask(holderB, licence.BusinessLicence) != 1 {
		t.Fatal("a licence added to the directory was not found")
	}
	writeLicences(t, dir, "c.json", `[{"id_number": "x", "type": "business_licence", "ref": "EL-BL-8"}]`)
	if ask(holderB, licence.BusinessLicence) != 1 || ask(holderA, licence.HouseholdRegister) != 1 {
		t.Fatal("a broken edit lost the previous contents")
	}
}

// A directory with a bad entry stops the hub at start with every problem named, and no
// ID number in the message.
func TestLicenceDirectoryRefused(t *testing.T) {
	dir := t.TempDir()
	writeLicences(t, dir, "bad.json", `[
 {"id_number": "990101199003071238", "type": "household_register", "ref": "EL-1"},
 {"id_number": "990101199003071237", "type": "hukou", "ref": "EL-2"},
 {"id_number": "990101199003071237", "type": "household_register", "ref": "a/b"}]`)
	_, err := New(Options{Dir: t.TempDir(), LicenceDir: dir})
	if !errors.Is(err, ErrLicenceDir) {
		t.Fatalf("New = %v, want ErrLicenceDir", err)
	}
	for _, want := range []string{"bad.json[0]", "bad.json[1]", "bad.json[2]", "unknown licence type"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "99010119900307123") {
		t.Errorf("error %q quotes an ID number", err)
	}
}

// Without a library every query is answered not_found: the kiosk has the resident scan.
func TestLicenceQueryWithoutLibrary(t *testing.T) {
	th := startHub(t, Options{})
	r := th.connect(t, th.enroll(t))
	r.send(&protocol.LicenceQuery{ID: "l1", IDHash: protocol.IDHash(r.welcome.QueryKey, holderA), Types: []string{"household_register"}})
	r.expectErr(protocol.CodeNotFound)
}

// The synthetic licences make run serves for the sample cards are a valid directory.
func TestSampleLicencesLoad(t *testing.T) {
	dir := t.TempDir()
	b, err := fs.ReadFile(assets.Licences(), "sample.json")
	if err != nil {
		t.Fatal(err)
	}
	writeLicences(t, dir, "sample.json", string(b))
	key := make([]byte, 32)
	p, err := newDirLicences(dir, key, func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Licences(context.Background(), LicenceRequest{IDHash: protocol.IDHash(key, "990101199001010019"),
		Types: []licence.Type{licence.PropertyCertificate}})
	if err != nil || len(got) != 1 {
		t.Fatalf("测试甲's property certificate: %v %v", got, err)
	}
}
