package idcard

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// handText builds a text block from offsets written out here, independently of the layout
// table, so that the parser is checked against the published layouts and not against its
// own encoder. Unset bytes are spaces, as on a card.
func handText(marker rune, fields map[int]string) []byte {
	b := make([]byte, TextLen)
	for i := 0; i < len(b); i += 2 {
		b[i] = ' '
	}
	for off, s := range fields {
		for i, u := range utf16.Encode([]rune(s)) {
			binary.LittleEndian.PutUint16(b[off+2*i:], u)
		}
	}
	binary.LittleEndian.PutUint16(b[248:], uint16(marker))
	return b
}

func date(y int, m time.Month, d int) identity.Date { return identity.Date{Year: y, Month: m, Day: d} }

func gender(code string) identity.Gender { return identity.GenderByCode(code) }

func nation(code string) identity.Nation {
	n, _ := identity.NationByCode(code)
	return n
}

var residentFields = map[int]string{
	0:   "测试甲",
	30:  "1",
	32:  "01",
	36:  "19900101",
	52:  "测试省样例市虚构区演示路1号",
	122: "990101199001010019",
	158: "样例市公安局虚构分局",
	188: "20200101",
	204: "20400101",
}

func residentWant() *identity.Identity {
	return &identity.Identity{
		CardType: identity.Resident, Name: "测试甲", Gender: gender("1"), Nation: nation("01"),
		Birth: date(1990, 1, 1), Address: "测试省样例市虚构区演示路1号",
		IDNumber: "990101199001010019", IDNumberValid: true, Authority: "样例市公安局虚构分局",
		ValidFrom: date(2020, 1, 1), ValidTo: date(2040, 1, 1),
	}
}

func with(base map[int]string, changes map[int]string) map[int]string {
	m := map[int]string{}
	for k, v := range base {
		m[k] = v
	}
	for k, v := range changes {
		m[k] = v
	}
	return m
}

func TestParseTextLayouts(t *testing.T) {
	cases := []struct {
		name   string
		text   []byte
		want   func() *identity.Identity
		errIs  error
		mutate func(b []byte)
	}{
		{name: "resident", text: handText(' ', residentFields), want: residentWant},
		{name: "resident long-term", text: handText(' ', with(residentFields, map[int]string{204: "长期"})),
			want: func() *identity.Identity {
				id := residentWant()
				id.ValidTo, id.LongTerm = identity.Date{}, true
				return id
			}},
		{name: "resident with NUL marker", text: handText(0, residentFields), want: residentWant},
		{name: "unknown nation and gender kept", text: handText(' ', with(residentFields, map[int]string{30: "5", 32: "77"})),
			want: func() *identity.Identity {
				id := residentWant()
				id.Gender = identity.Gender{Code: "5"}
				id.Nation = identity.Nation{Code: "77"}
				return id
			}},
		{name: "impossible birth date", text: handText(' ', with(residentFields, map[int]string{36: "19900230"})),
			want: func() *identity.Identity {
				id := residentWant()
				id.Birth = identity.Date{}
				return id
			}},
		{name: "wrong check digit reported, number kept", text: handText(' ', with(residentFields, map[int]string{122: "990101199001010018"})),
			want: func() *identity.Identity {
				id := residentWant()
				id.IDNumber, id.IDNumberValid = "990101199001010018", false
				return id
			}},
		{name: "lower-case x check digit", text: handText(' ', with(residentFields, map[int]string{122: "99999919880404002x"})),
			want: func() *identity.Identity {
				id := residentWant()
				id.IDNumber, id.IDNumberValid = "99999919880404002x", true
				return id
			}},
		{name: "lone surrogates", text: handText(' ', residentFields),
			mutate: func(b []byte) {
				binary.LittleEndian.PutUint16(b[0:], 0xD800) // high without low
				binary.LittleEndian.PutUint16(b[2:], 'A')
				binary.LittleEndian.PutUint16(b[4:], 0xDC00) // low alone
			},
			want: func() *identity.Identity {
				id := residentWant()
				id.Name = "\uFFFDA\uFFFD"
				return id
			}},
		{name: "astral character", text: handText(' ', with(residentFields, map[int]string{0: "测试𠀀"})),
			want: func() *identity.Identity {
				id := residentWant()
				id.Name = "测试𠀀"
				return id
			}},
		{name: "NUL padding", text: handText(' ', residentFields),
			mutate: func(b []byte) { clear(b[6:30]) },
			want:   residentWant},
		{name: "hk macau taiwan permit", text: handText('J', map[int]string{
			0: "测试戊", 30: "1", 36: "19950505", 52: "测试省样例市虚构区示范街5号", 122: "990103199505050033",
			158: "样例市公安局", 188: "20200606", 204: "20250605", 220: "Z99000001", 238: "01"}),
			want: func() *identity.Identity {
				return &identity.Identity{CardType: identity.HKMacauTaiwan, Name: "测试戊", Gender: gender("1"),
					Birth: date(1995, 5, 5), Address: "测试省样例市虚构区示范街5号", IDNumber: "990103199505050033",
					IDNumberValid: true, Authority: "样例市公安局", ValidFrom: date(2020, 6, 6), ValidTo: date(2025, 6, 5),
					PassNumber: "Z99000001", IssueCount: 1}
			}},
		{name: "foreigner 2017", text: handText('I', map[int]string{
			0: "TESTER, ALPHA EXAMPLE", 120: "1", 122: "ZZZ990085030301", 152: "ZZZ", 158: "测试丙",
			188: "20170616", 204: "20270615", 220: "19850303", 236: "01", 240: "9900"}),
			want: func() *identity.Identity {
				return &identity.Identity{CardType: identity.ForeignerPermanent2017, Name: "测试丙",
					EnglishName: "TESTER, ALPHA EXAMPLE", Gender: gender("1"), Nationality: "ZZZ",
					Birth: date(1985, 3, 3), IDNumber: "ZZZ990085030301", Authority: "9900",
					ValidFrom: date(2017, 6, 16), ValidTo: date(2027, 6, 15), CardVersion: "01"}
			}},
		{name: "foreigner 2023, English name split mid-word", text: handText('Y', map[int]string{
			0: "样例丁", 30: "2", 32: "01", 36: "19880404", 52: "SAMPLE, DELTA EXAMPLE LONGNAME EXTE",
			122: "99999919880404002X", 188: "20231201", 204: "20331130", 220: "NDED PART", 242: "ZZZ"}),
			want: func() *identity.Identity {
				return &identity.Identity{CardType: identity.ForeignerPermanent2023, Name: "样例丁",
					EnglishName: "SAMPLE, DELTA EXAMPLE LONGNAME EXTENDED PART", Gender: gender("2"),
					Nationality: "ZZZ", Birth: date(1988, 4, 4), IDNumber: "99999919880404002X", IDNumberValid: true,
					ValidFrom: date(2023, 12, 1), ValidTo: date(2033, 11, 30), IssueCount: 1}
			}},
		{name: "foreigner 2023, short English name", text: handText('Y', map[int]string{
			0: "样例丁", 30: "2", 52: "SAMPLE, DELTA", 122: "99999919880404002X", 242: "ZZZ"}),
			want: func() *identity.Identity {
				return &identity.Identity{CardType: identity.ForeignerPermanent2023, Name: "样例丁",
					EnglishName: "SAMPLE, DELTA", Gender: gender("2"), Nationality: "ZZZ",
					IDNumber: "99999919880404002X", IDNumberValid: true}
			}},
		{name: "unknown card type", text: handText('Z', residentFields), errIs: ErrUnknownCardType},
		{name: "short text", text: handText(' ', residentFields)[:TextLen-1], errIs: ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := bytes.Clone(c.text)
			if c.mutate != nil {
				c.mutate(text)
			}
			got, err := ParseText(text)
			if c.errIs != nil {
				if !errors.Is(err, c.errIs) {
					t.Fatalf("got %v, want %v", err, c.errIs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := c.want(); !reflect.DeepEqual(got, want) {
				t.Fatal(diffIdentity(got, want))
			}
		})
	}
}

// Every layout covers the 256 bytes exactly once, with the type character at 248.
func TestLayoutsTileTheTextBlock(t *testing.T) {
	for _, l := range layouts {
		fs := append([]field(nil), l.fields...)
		sort.Slice(fs, func(i, j int) bool { return fs[i].off < fs[j].off })
		at := 0
		for _, f := range fs {
			if f.off != at {
				t.Errorf("%s: %s starts at %d, want %d", l.card, f.name, f.off, at)
			}
			if f.size%2 != 0 {
				t.Errorf("%s: %s has an odd size", l.card, f.name)
			}
			if f.name == "card_type" && f.off != markerOffset {
				t.Errorf("%s: type character at %d", l.card, f.off)
			}
			at = f.off + f.size
		}
		if at != TextLen {
			t.Errorf("%s: fields end at %d", l.card, at)
		}
		if got, ok := layoutByMarker(l.marker); !ok || got.card != l.card {
			t.Errorf("%s: marker %q does not select it", l.card, l.marker)
		}
	}
}

func TestSampleCardsRoundTrip(t *testing.T) {
	for name, c := range testCards(t) {
		for _, fp := range []bool{false, true} {
			t.Run(name, func(t *testing.T) {
				want, err := c.Identity()
				if err != nil {
					t.Fatal(err)
				}
				data, err := AppendRead(nil, want, fp)
				if err != nil {
					t.Fatal(err)
				}
				got, err := ParseRead(data)
				if err != nil {
					t.Fatal(err)
				}
				if !fp {
					want.Fingerprint = nil
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatal(diffIdentity(got, want))
				}
				// The result owns its bytes.
				photo, finger := bytes.Clone(got.Photo), bytes.Clone(got.Fingerprint)
				clear(data)
				if !bytes.Equal(got.Photo, photo) || !bytes.Equal(got.Fingerprint, finger) {
					t.Fatal("photo or fingerprint shares memory with the frame")
				}
			})
		}
	}
}

// diffIdentity describes how two identities differ, photo and fingerprint by hash.
func diffIdentity(got, want *identity.Identity) string {
	g, _ := json.MarshalIndent(viewOf(got), "", " ")
	w, _ := json.MarshalIndent(viewOf(want), "", " ")
	gl, wl := strings.Split(string(g), "\n"), strings.Split(string(w), "\n")
	var out []string
	for i := range max(len(gl), len(wl)) {
		var a, b string
		if i < len(gl) {
			a = gl[i]
		}
		if i < len(wl) {
			b = wl[i]
		}
		if a != b {
			out = append(out, "got "+strings.TrimSpace(a)+"  want "+strings.TrimSpace(b))
		}
	}
	if len(out) == 0 {
		out = append(out, "nil and empty slices differ")
	}
	return "identity differs: " + strings.Join(out, "; ")
}

// goldenView is an identity as the golden files hold it: photo and fingerprint as length
// and hash.
type goldenView struct {
	*identity.Identity
	Birth, ValidFrom, ValidTo string
	Photo, Fingerprint        string
}

func viewOf(id *identity.Identity) goldenView {
	sum := func(b []byte) string {
		if len(b) == 0 {
			return ""
		}
		h := sha256.Sum256(b)
		return hex.EncodeToString(h[:8]) + " (" + strconv.Itoa(len(b)) + " bytes)"
	}
	return goldenView{Identity: id, Birth: id.Birth.String(), ValidFrom: id.ValidFrom.String(),
		ValidTo: id.ValidTo.String(), Photo: sum(id.Photo), Fingerprint: sum(id.Fingerprint)}
}

// The golden frames decode to the golden identities: a change in the codec or the
// layouts shows as a diff in testdata/golden.
func TestParseGolden(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "golden", "*.read.hex"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 && !*update {
		t.Fatal("no golden frames; run go test -update")
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".read.hex")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			r, err := DecodeResponse(unhex(t, string(raw)))
			if err != nil {
				t.Fatal(err)
			}
			id, err := ParseRead(r.Data)
			if err != nil {
				t.Fatal(err)
			}
			out, err := json.MarshalIndent(viewOf(id), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".json", append(out, '\n'))
		})
	}
}

func TestParseReadShapes(t *testing.T) {
	text := handText(' ', residentFields)
	block := func(lens ...int) []byte {
		var b []byte
		for _, n := range lens {
			b = binary.BigEndian.AppendUint16(b, uint16(n))
		}
		return b
	}
	photo := bytes.Repeat([]byte{7}, PhotoLen)
	fp := bytes.Repeat([]byte{9}, 512)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := []struct {
		name          string
		data          []byte
		photo, finger int
		errIs         error
	}{
		{"text and photo", cat(block(256, 1024), text, photo), 1024, 0, nil},
		{"with one fingerprint", cat(block(256, 1024, 512), text, photo, fp), 1024, 512, nil},
		{"with no fingerprint", cat(block(256, 1024, 0), text, photo), 1024, 0, nil},
		{"no photo", cat(block(256, 0), text), 0, 0, nil},
		{"lengths do not add up", cat(block(256, 1024), text, photo[:1000]), 0, 0, ErrMalformed},
		{"text not 256", cat(block(200, 56), text), 0, 0, ErrMalformed},
		{"empty", nil, 0, 0, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, err := ParseRead(c.data)
			if c.errIs != nil {
				if !errors.Is(err, c.errIs) {
					t.Fatalf("got %v, want %v", err, c.errIs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(id.Photo) != c.photo || len(id.Fingerprint) != c.finger || id.Name != "测试甲" {
				t.Fatalf("photo %d fingerprint %d name ok %v", len(id.Photo), len(id.Fingerprint), id.Name == "测试甲")
			}
		})
	}
}

func TestEncodeTextRefusesWhatDoesNotFit(t *testing.T) {
	cases := []struct {
		name string
		id   identity.Identity
	}{
		{"name too long", identity.Identity{CardType: identity.Resident, Name: strings.Repeat("测", 16)}},
		{"unknown card type", identity.Identity{CardType: identity.Manual}},
		{"english name over both fields", identity.Identity{CardType: identity.ForeignerPermanent2023, EnglishName: strings.Repeat("A", 47)}},
		{"astral character across the english name split", identity.Identity{CardType: identity.ForeignerPermanent2023,
			EnglishName: strings.Repeat("A", 34) + "𠀀"}},
		{"issue count of three digits", identity.Identity{CardType: identity.HKMacauTaiwan, IssueCount: 100}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := EncodeText(&c.id); !errors.Is(err, ErrEncode) {
				t.Fatalf("got %v, want ErrEncode", err)
			}
		})
	}
	ok := identity.Identity{CardType: identity.ForeignerPermanent2023, EnglishName: strings.Repeat("A", 46)}
	if _, err := EncodeText(&ok); err != nil {
		t.Fatalf("46 characters fit: %v", err)
	}
}

func TestAdditionalAddress(t *testing.T) {
	b, err := EncodeAddress("测试省样例市虚构区新址路8号")
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != AddressLen {
		t.Fatalf("%d bytes", len(b))
	}
	got, err := ParseAddress(b)
	if err != nil || got != "测试省样例市虚构区新址路8号" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := ParseAddress(b[:69]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("odd length: %v", err)
	}
	if _, err := EncodeAddress(strings.Repeat("址", 36)); !errors.Is(err, ErrEncode) {
		t.Fatalf("too long: %v", err)
	}
}

func TestParseSAMID(t *testing.T) {
	got, err := ParseSAMID(simSAMID[:])
	if err != nil || got != "05.01-20200101-000012345-000000001" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := ParseSAMID(simSAMID[:15]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short: %v", err)
	}
}

func TestNoPhotoDecoder(t *testing.T) {
	var d PhotoDecoder = NoPhotoDecoder{}
	if img, err := d.Decode(make([]byte, PhotoLen)); img != nil || !errors.Is(err, ErrNoDecoder) {
		t.Fatalf("got %v, %v", img, err)
	}
}

// No error the parser returns carries the card's content.
func TestParseErrorsCarryNoPersonalData(t *testing.T) {
	text := handText('Z', residentFields)
	data := append(binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, 256), 3), text...)
	for _, err := range []error{
		func() error { _, err := ParseText(text); return err }(),
		func() error { _, err := ParseRead(data); return err }(),
		func() error { _, err := ParseRead(data[:100]); return err }(),
	} {
		if err == nil {
			t.Fatal("no error")
		}
		for _, v := range residentFields {
			if len(v) >= 6 && strings.Contains(err.Error(), v) {
				t.Fatalf("error %q contains card data", err)
			}
		}
	}
}
