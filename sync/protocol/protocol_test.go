package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// samples holds one valid message of every type, with synthetic data only: the ID number
// uses region 990101, which GB/T 2260 does not assign, with a correct check digit.
func samples() map[string]Message {
	return map[string]Message{
		"hello": &Hello{TerminalID: "t-7f3a", Versions: []int{1}, App: "1.4.0", Catalog: "c-12", Config: "cfg-3", Announcements: "a-1"},
		"hello_v2": &Hello{TerminalID: "t-7f3a", Versions: []int{2}, App: "1.5.0", Catalog: "c-12",
			Nonce: bytes.Repeat([]byte{0x3C}, NonceSize)},
		"challenge": &Challenge{Version: 1, HubID: "hub-test", Nonce: bytes.Repeat([]byte{0xA5}, NonceSize)},
		"challenge_v2": &Challenge{Version: 2, HubID: "hub-test", Nonce: bytes.Repeat([]byte{0xA5}, NonceSize),
			HubSignature: bytes.Repeat([]byte{0xC3}, ed25519.SignatureSize)},
		"auth": &Auth{Signature: bytes.Repeat([]byte{0x5A}, ed25519.SignatureSize)},
		"welcome": &Welcome{Version: 1, TerminalID: "t-7f3a", TerminalCode: "K7Q2", HubTime: t0,
			HeartbeatSeconds: 30, MaxChunk: MaxChunkData, Catalog: "c-13", Config: "cfg-3", Announcements: "a-1"},
		"welcome_v2": &Welcome{Version: 2, TerminalID: "t-7f3a", TerminalCode: "K7Q2", HubTime: t0,
			HeartbeatSeconds: 30, MaxChunk: MaxChunkData, QueryKey: bytes.Repeat([]byte{0x42}, 32)},
		"progress_query":    &ProgressQuery{ID: "q-1", IDHash: IDHash(bytes.Repeat([]byte{0x42}, 32), "990101199003071237")},
		"progress_query_tc": &ProgressQuery{ID: "q-2", TrackingCode: "K7Q2-00042-X"},
		"progress": &Progress{ID: "q-1", Items: []ProgressItem{{TrackingCode: "K7Q2-*****-*", Item: "hukou.move",
			ItemTitle: "户口迁移", HubRef: "H000000042", ReceivedAt: t0, Status: "needs_correction", StatusAt: t0,
			Note: "请补充房屋租赁合同第3页"}}},
		"licence_query": &LicenceQuery{ID: "l-1", IDHash: IDHash(bytes.Repeat([]byte{0x42}, 32), "990101199003071237"),
			Types: []string{"household_register", "property_certificate"}},
		"licences": &Licences{ID: "l-1", Items: []Licence{{Type: "household_register", Ref: "EL-HR-990101-0001",
			Number: "9901**********1237", TitleZh: "居民户口簿", TitleEn: "Household register", Issuer: "样例市公安局示范派出所",
			Issued: t0}}},
		"slots_query": &SlotsQuery{ID: "s-1", Item: "driving-renew"},
		"slots": &Slots{ID: "s-1", Item: "driving-renew", Hall: "示范区政务服务中心", Slots: []SlotFree{
			{Slot: "2025-03-14/am", Capacity: 4, Booked: 4, Closed: true}, {Slot: "2025-03-14/pm", Capacity: 4, Booked: 1}}},
		"book": &Book{ID: "b-1", BookingID: "0b9e6c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c", Item: "driving-renew", Slot: "2025-03-17/am"},
		"booked": &Booked{ID: "b-1", BookingID: "0b9e6c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c", Item: "driving-renew", Slot: "2025-03-17/am",
			Hall: "示范区政务服务中心"},
		"confirm_booking": &ConfirmBooking{ID: "f-1", BookingID: "0b9e6c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c"},
		"cancel_booking":  &CancelBooking{ID: "c-1", TrackingCode: "K7Q2-00042-X"},
		"booking_cancelled": &BookingCancelled{ID: "c-1", BookingID: "0b9e6c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c", Item: "driving-renew",
			Slot: "2025-03-17/am"},
		"certificate_query":    &CertificateQuery{ID: "rq-1", SubmissionID: "0b9e6c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c"},
		"certificate_query_tc": &CertificateQuery{ID: "rq-2", TrackingCode: "K7Q2-00042-X", IDHash: IDHash(bytes.Repeat([]byte{0x42}, 32), "990101199003071237")},
		"certificate": &Certificate{ID: "rq-1", State: CertificateIssued, Document: "ss_record", Title: "社会保险个人参保证明",
			Code: "7K3M-Q9XD-2B4F-H8JN", IssuedAt: t0, Pages: 1, PDF: []byte("%PDF-1.4\n%%EOF\n")},
		"certificate_later": &Certificate{ID: "rq-3", State: CertificateLater, Document: "household_certificate", Title: "户籍证明"},
		"submit": &Submit{ID: "0b9e6c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c", TrackingCode: "K7Q2-00042-X",
			Item: "hukou.move", ItemTitle: "户口迁移", CreatedAt: t0,
			Fields:      map[string]string{"name": "测试甲", "id_number": "990101199003071237", "phone": "13800000000"},
			Attachments: []Attachment{{Name: "身份证正面.jpg", ContentType: "image/jpeg", Size: 524288, SHA256: sha}}},
		"upload_state": &UploadState{ID: "0b9e6c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c", Offsets: []int64{262144}},
		"chunk_ack":    &ChunkAck{ID: "0b9e6c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c", Index: 0, Next: 524288},
		"commit":       &Commit{ID: "0b9e6c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c"},
		"ack": &Ack{ID: "0b9e6c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c", Kind: AckSubmission, HubRef: "H00000042",
			ReceivedAt: t0.Add(time.Minute)},
		"rating": &Rating{ID: "r-1", SubmissionID: "0b9e6c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c", TrackingCode: "K7Q2-00042-X",
			Item: "hukou.move", Stars: 4, Reasons: []string{"fast"}, Comment: "样例乙的评价", CreatedAt: t0},
		"heartbeat": &Heartbeat{At: t0, App: "1.4.0", Catalog: "c-13", Config: "cfg-3", Announcements: "a-1",
			Devices: []DeviceStatus{{Device: "printer", Kind: "printer", State: DeviceUserError,
				Reason: "paper out", Details: map[string]string{"paper": "out"}, Since: t0}},
			Queue: QueueDepth{Queued: 3, Sending: 1, OldestQueued: t0.Add(-time.Hour)}},
		"heartbeat_held": &Heartbeat{At: t0, App: "1.4.0",
			Devices: []DeviceStatus{},
			Queue: QueueDepth{Queued: 1, Held: 1, Conflicts: []Conflict{{ID: "0b9e6c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c",
				TrackingCode: "K7Q2-00042-X", Reason: "conflict: tracking code already used by another submission", Since: t0}}}},
		"heartbeat_config_refused": &Heartbeat{At: t0, App: "1.4.0", Config: "cfg-3", Devices: []DeviceStatus{},
			ConfigRefused: &ConfigRefusal{Version: "cfg-4", Problems: []string{"session.idle_timeout: 5s is below 30s"}}},
		"heartbeat_update": &Heartbeat{At: t0, App: "1.4.0", Devices: []DeviceStatus{},
			Update: []UpdateStep{{At: t0, Step: "verified", Version: "1.5.0"}, {At: t0, Step: "refused", Version: "1.5.1", Detail: "update: package does not match its signed manifest"}}},
		"catalog":       &Catalog{Version: "c-13", Payload: json.RawMessage(`{"items":[{"id":"hukou.move"}]}`)},
		"config":        &Config{Version: "cfg-3", Payload: json.RawMessage(`{"idle_timeout":"90s"}`)},
		"announcements": &Announcements{Version: "a-1", Items: []Announcement{{ID: "n1", Title: "春节办公时间", Body: "2月1日至7日休息", Level: LevelImportant, From: t0}}},
		"status": &Status{UpdateID: "u-1", SubmissionID: "0b9e6c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c",
			TrackingCode: "K7Q2-00042-X", Status: "processing", At: t0},
		"status_ack":     &StatusAck{UpdateID: "u-1"},
		"command":        &Command{ID: "cmd-1", Name: CommandCollectLogs, Args: map[string]string{"since": "1h"}},
		"command_result": &CommandResult{ID: "cmd-1", OK: true, Output: "12 lines"},
		"error":          &Error{Code: CodeTryLater, Ref: "r-1", Message: "busy", RetryAfterMS: 2500},
	}
}

func TestGoldenRoundTrip(t *testing.T) {
	seen := map[Type]bool{}
	for name, m := range samples() {
		t.Run(name, func(t *testing.T) {
			seen[m.MessageType()] = true
			frame, err := Encode(m)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			golden := filepath.Join("testdata", name+".json")
			if *update {
				if err := os.WriteFile(golden, append(frame, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			want = bytes.TrimSuffix(want, []byte("\n"))
			if !bytes.Equal(frame, want) {
				t.Errorf("encoding changed:\n got %s\nwant %s", frame, want)
			}
			from := registry[m.MessageType()].from
			if from == Terminal|Hub {
				from = Hub
			}
			got, err := Decode(want, from)
			if err != nil {
				t.Fatalf("Decode(golden): %v", err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Errorf("round trip:\n got %#v\nwant %#v", got, m)
			}
		})
	}
	for typ := range registry {
		if !seen[typ] {
			t.Errorf("no sample for message type %q", typ)
		}
	}
}

func validSubmitBody() string {
	return `{"id":"s-1","tracking_code":"K7Q2-1-X","item":"x","created_at":"2025-03-14T09:30:00Z"}`
}

func TestDecodeRejects(t *testing.T) {
	long := strings.Repeat("a", MaxClientText)
	tests := []struct {
		name  string
		frame string
		from  Side
		want  error
	}{
		{"not JSON", `hello`, Terminal, ErrMalformed},
		{"array", `[]`, Terminal, ErrMalformed},
		{"empty", ``, Terminal, ErrMalformed},
		{"truncated", `{"type":"commit","body":{"id":"s-1"}`, Terminal, ErrMalformed},
		{"unknown type", `{"type":"launch","body":{}}`, Terminal, ErrUnknownType},
		{"hub type from terminal", `{"type":"chunk_ack","body":{"id":"s","index":0,"next":1}}`, Terminal, ErrWrongSender},
		{"terminal type from hub", `{"type":"commit","body":{"id":"s-1"}}`, Hub, ErrWrongSender},
		{"oversized", `{"type":"commit","body":{"id":"` + long + `"}}`, Terminal, ErrTooLarge},
		{"no body", `{"type":"commit"}`, Terminal, ErrMalformed},
		{"no type", `{"body":{"id":"s-1"}}`, Terminal, ErrMalformed},
		{"body null", `{"type":"commit","body":null}`, Terminal, ErrMalformed},
		{"body array", `{"type":"commit","body":[1]}`, Terminal, ErrMalformed},
		{"extra envelope key", `{"type":"commit","body":{"id":"s-1"},"x":1}`, Terminal, ErrMalformed},
		{"duplicate type", `{"type":"commit","type":"commit","body":{"id":"s-1"}}`, Terminal, ErrMalformed},
		{"cased key", `{"Type":"commit","body":{"id":"s-1"}}`, Terminal, ErrMalformed},
		{"unknown body field", `{"type":"commit","body":{"id":"s-1","force":true}}`, Terminal, ErrMalformed},
		{"wrong JSON type", `{"type":"commit","body":{"id":5}}`, Terminal, ErrMalformed},
		{"trailing data", `{"type":"commit","body":{"id":"s-1"}} {}`, Terminal, ErrMalformed},
		{"missing id", `{"type":"commit","body":{}}`, Terminal, ErrMissingField},
		{"id with slash", `{"type":"commit","body":{"id":"../etc"}}`, Terminal, ErrInvalidField},
		{"stars out of range", `{"type":"rating","body":{"id":"r","stars":9,"created_at":"2025-03-14T09:30:00Z"}}`, Terminal, ErrInvalidField},
		{"rating without time", `{"type":"rating","body":{"id":"r","stars":3}}`, Terminal, ErrMissingField},
		{"bad sha", `{"type":"submit","body":` + strings.TrimSuffix(validSubmitBody(), "}") +
			`,"attachments":[{"name":"a","content_type":"image/png","size":1,"sha256":"ABC"}]}}`, Terminal, ErrInvalidField},
		{"negative size", `{"type":"submit","body":` + strings.TrimSuffix(validSubmitBody(), "}") +
			`,"attachments":[{"name":"a","content_type":"image/png","size":-1,"sha256":"` + sha + `"}]}}`, Terminal, ErrInvalidField},
		{"short nonce", `{"type":"challenge","body":{"version":1,"hub_id":"h","nonce":"AAEC"}}`, Hub, ErrInvalidField},
		{"bad base64", `{"type":"auth","body":{"signature":"!!"}}`, Terminal, ErrMalformed},
		{"welcome chunk too small", `{"type":"welcome","body":{"version":1,"terminal_id":"t","terminal_code":"K7Q2","hub_time":"2025-03-14T09:30:00Z","heartbeat_seconds":30,"max_chunk":1024}}`, Hub, ErrInvalidField},
		{"unknown device state", `{"type":"heartbeat","body":{"at":"2025-03-14T09:30:00Z","app_version":"1","queue":{"queued":0,"sending":0,"failed":0},"devices":[{"device":"p","kind":"printer","state":"melted","since":"2025-03-14T09:30:00Z"}]}}`, Terminal, ErrInvalidField},
		{"unknown update step", `{"type":"heartbeat","body":{"at":"2025-03-14T09:30:00Z","app_version":"1","queue":{"queued":0,"sending":0,"failed":0},"devices":[],"update":[{"at":"2025-03-14T09:30:00Z","step":"exploded","version":"1.5.0"}]}}`, Terminal, ErrInvalidField},
		{"update version with a space", `{"type":"heartbeat","body":{"at":"2025-03-14T09:30:00Z","app_version":"1","queue":{"queued":0,"sending":0,"failed":0},"devices":[],"update":[{"at":"2025-03-14T09:30:00Z","step":"verified","version":"1 5"}]}}`, Terminal, ErrInvalidField},
		{"licence query without types", `{"type":"licence_query","body":{"id":"l","id_hash":"` + sha + `","types":[]}}`, Terminal, ErrMissingField},
		{"licence query with a number", `{"type":"licence_query","body":{"id":"l","id_hash":"990101199003071237","types":["household_register"]}}`, Terminal, ErrInvalidField},
		{"licence type not a word", `{"type":"licence_query","body":{"id":"l","id_hash":"` + sha + `","types":["户口簿"]}}`, Terminal, ErrInvalidField},
		{"certificate query without a key", `{"type":"certificate_query","body":{"id":"q","tracking_code":"K7Q2-00042-X"}}`, Terminal, ErrMissingField},
		{"certificate query with both", `{"type":"certificate_query","body":{"id":"q","submission_id":"s","tracking_code":"K7Q2-00042-X","id_hash":"` + sha + `"}}`, Terminal, ErrInvalidField},
		{"certificate issued without pdf", `{"type":"certificate","body":{"id":"q","state":"issued","code":"X"}}`, Hub, ErrMissingField},
		{"certificate later with pdf", `{"type":"certificate","body":{"id":"q","state":"later","pdf":"JVBERg=="}}`, Hub, ErrInvalidField},
		{"licence without ref", `{"type":"licences","body":{"id":"l","items":[{"type":"household_register","ref":""}]}}`, Hub, ErrInvalidField},
		{"book without slot", `{"type":"book","body":{"id":"b","booking_id":"s-1","item":"x"}}`, Terminal, ErrMissingField},
		{"book an evening", `{"type":"book","body":{"id":"b","booking_id":"s-1","item":"x","slot":"2025-03-17/ev"}}`, Terminal, ErrInvalidField},
		{"confirm without booking id", `{"type":"confirm_booking","body":{"id":"f"}}`, Terminal, ErrMissingField},
		{"cancel by both", `{"type":"cancel_booking","body":{"id":"c","booking_id":"s-1","tracking_code":"K7Q2-1-X"}}`, Terminal, ErrInvalidField},
		{"catalog without payload", `{"type":"catalog","body":{"version":"c-1"}}`, Hub, ErrMissingField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(tt.frame), tt.from)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode = %v, %v; want error %v", m, err, tt.want)
			}
			if m != nil {
				t.Errorf("Decode returned a message with an error: %#v", m)
			}
		})
	}
}

func TestDecodeAcceptsValidSubmit(t *testing.T) {
	m, err := Decode([]byte(`{"type":"submit","body":`+validSubmitBody()+`}`), Terminal)
	if err != nil {
		t.Fatal(err)
	}
	if s := m.(*Submit); s.ID != "s-1" || s.TrackingCode != "K7Q2-1-X" {
		t.Errorf("decoded %#v", s)
	}
}

// Error texts are logged and sent back; they must never carry the values of fields.
func TestErrorsDoNotQuotePersonalData(t *testing.T) {
	const secret = "测试甲990101199003071237"
	frames := []string{
		`{"type":"submit","body":{"id":"s-1","fields":{"name":"` + secret + `"}}}`, // missing fields
		`{"type":"submit","body":{"id":"s-1","fields":{"name":` + secret + `}}}`,   // syntax error in value
		`{"type":"submit","body":{"id":"s-1","fields":{"name":["` + secret + `"]}}}`,
		`{"type":"submit","body":{"id":"s-1","created_at":"` + secret + `"}}`,
		`{"type":"submit","body":` + strings.TrimSuffix(validSubmitBody(), "}") +
			`,"fields":{"n":"` + strings.Repeat(secret, 400) + `"}}}`,
		`{"type":"` + secret + `","body":{}}`,
	}
	for _, f := range frames {
		_, err := Decode([]byte(f), Terminal)
		if err == nil {
			t.Fatalf("Decode(%.40q) succeeded", f)
		}
		if strings.Contains(err.Error(), "测试甲") || strings.Contains(err.Error(), "1990030") {
			t.Errorf("error quotes personal data: %v", err)
		}
	}
}

func TestEncodeValidates(t *testing.T) {
	if _, err := Encode(&Commit{}); !errors.Is(err, ErrMissingField) {
		t.Errorf("Encode(empty commit) = %v, want ErrMissingField", err)
	}
	if _, err := Encode(&Rating{ID: "r", Stars: 6, CreatedAt: t0}); !errors.Is(err, ErrInvalidField) {
		t.Errorf("Encode(6 stars) = %v, want ErrInvalidField", err)
	}
}

func TestChooseVersion(t *testing.T) {
	tests := []struct {
		offered []int
		want    int
		ok      bool
	}{
		{[]int{1}, 1, true},
		{[]int{7, 1, 3}, 1, true},
		{[]int{1, 2}, 2, true},
		{[]int{2, 3}, 2, true},
		{[]int{3, 4}, 0, false},
		{nil, 0, false},
	}
	for _, tt := range tests {
		got, ok := Choose(tt.offered)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Choose(%v) = %d, %v; want %d, %v", tt.offered, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCodes(t *testing.T) {
	tests := []struct {
		err  error
		want Code
	}{
		{ErrTooLarge, CodeTooLarge},
		{ErrMalformed, CodeBadMessage},
		{ErrWrongSender, CodeUnexpected},
		{missing(TypeCommit, "id"), CodeBadMessage},
		{Errorf(CodeTryLater, "", "busy"), CodeTryLater},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := CodeOf(tt.err); got != tt.want {
			t.Errorf("CodeOf(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	for _, c := range []Code{CodeRejected, CodeConflict, CodeBadMessage, CodeTooLarge} {
		if !c.Permanent() {
			t.Errorf("%s should be permanent", c)
		}
	}
	for _, c := range []Code{CodeTryLater, CodeInternal, CodeBadOffset, CodeChecksum, CodeNotFound, CodeUnexpected} {
		if c.Permanent() {
			t.Errorf("%s should not be permanent", c)
		}
	}
	e := &Error{Code: CodeTryLater, RetryAfterMS: 1500}
	if e.RetryAfter() != 1500*time.Millisecond {
		t.Errorf("RetryAfter = %v", e.RetryAfter())
	}
}

func TestAuth(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, _ := ed25519.GenerateKey(nil)
	ch := &Challenge{Version: 1, HubID: "hub-a", Nonce: bytes.Repeat([]byte{1}, NonceSize)}
	good := SignChallenge(key, "t-1", ch)
	tests := []struct {
		name     string
		terminal string
		ch       *Challenge
		auth     *Auth
		want     bool
	}{
		{"good", "t-1", ch, good, true},
		{"other terminal id", "t-2", ch, good, false},
		{"other nonce (replay)", "t-1", &Challenge{Version: 1, HubID: "hub-a", Nonce: bytes.Repeat([]byte{2}, NonceSize)}, good, false},
		{"other hub", "t-1", &Challenge{Version: 1, HubID: "hub-b", Nonce: ch.Nonce}, good, false},
		{"other version", "t-1", &Challenge{Version: 2, HubID: "hub-a", Nonce: ch.Nonce}, good, false},
		{"wrong key", "t-1", ch, SignChallenge(otherKey, "t-1", ch), false},
		{"short signature", "t-1", ch, &Auth{Signature: good.Signature[:10]}, false},
	}
	for _, tt := range tests {
		if got := VerifyAuth(pub, tt.terminal, tt.ch, tt.auth); got != tt.want {
			t.Errorf("%s: VerifyAuth = %v, want %v", tt.name, got, tt.want)
		}
	}
	if VerifyAuth(pub[:5], "t-1", ch, good) {
		t.Error("VerifyAuth accepted a short public key")
	}
}

func TestEnrollValidate(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	tests := []struct {
		name string
		req  EnrollRequest
		want error
	}{
		{"good", EnrollRequest{Code: "ABCD-2345", PublicKey: pub, App: "1.0"}, nil},
		{"no code", EnrollRequest{PublicKey: pub, App: "1.0"}, ErrMissingField},
		{"short key", EnrollRequest{Code: "ABCD", PublicKey: pub[:8], App: "1.0"}, ErrInvalidField},
		{"no app", EnrollRequest{Code: "ABCD", PublicKey: pub}, ErrMissingField},
	}
	for _, tt := range tests {
		if err := tt.req.Validate(); !errors.Is(err, tt.want) {
			t.Errorf("%s: Validate = %v, want %v", tt.name, err, tt.want)
		}
	}
	resp := EnrollResponse{TerminalID: "t-1", TerminalCode: "K7Q2", HubID: "hub", Versions: []int{1}, EnrolledAt: t0}
	if err := resp.Validate(); err != nil {
		t.Errorf("valid response: %v", err)
	}
	withKey := resp
	withKey.IdentityKey = pub
	if err := withKey.Validate(); err != nil {
		t.Errorf("response with an identity key: %v", err)
	}
	withKey.IdentityKey = pub[:31]
	if err := withKey.Validate(); !errors.Is(err, ErrInvalidField) {
		t.Errorf("31-byte identity key: %v", err)
	}
	resp.TerminalCode = "k7q"
	if err := resp.Validate(); !errors.Is(err, ErrInvalidField) {
		t.Errorf("bad terminal code: %v", err)
	}
}

// TestEnrollResponseCompatible: the identity key is optional both ways. An answer
// without it (an older hub) decodes; one with it decodes and keeps it; and without the
// key the JSON is byte for byte what version 1 terminals already take.
func TestEnrollResponseCompatible(t *testing.T) {
	old := `{"terminal_id":"t-1","terminal_code":"K7Q2","hub_id":"hub","versions":[1],"enrolled_at":"2026-03-02T09:30:00Z"}`
	r, err := DecodeEnrollResponse([]byte(old))
	if err != nil || r.IdentityKey != nil {
		t.Fatalf("answer of an older hub: %+v, %v", r, err)
	}
	b, _ := json.Marshal(r)
	if string(b) != old {
		t.Errorf("without a key the answer changed:\n%s\n%s", b, old)
	}
	key := strings.Repeat("A", 43) + "="
	r, err = DecodeEnrollResponse([]byte(old[:len(old)-1] + `,"identity_key":"` + key + `"}`))
	if err != nil || len(r.IdentityKey) != 32 {
		t.Fatalf("answer with a key: %+v, %v", r, err)
	}
	if _, err := DecodeEnrollResponse([]byte(old[:len(old)-1] + `,"identity_key":"AAAA"}`)); !errors.Is(err, ErrInvalidField) {
		t.Errorf("3-byte key: %v, want ErrInvalidField", err)
	}
}

func TestHasFeature(t *testing.T) {
	tests := []struct {
		list string
		want bool
	}{
		{"identity_key", true},
		{"other, Identity_Key ", true},
		{"", false},
		{"identity_keys", false},
		{"identity", false},
	}
	for _, tt := range tests {
		if got := HasFeature(tt.list, FeatureIdentityKey); got != tt.want {
			t.Errorf("HasFeature(%q) = %v, want %v", tt.list, got, tt.want)
		}
	}
}

func TestValidID(t *testing.T) {
	tests := map[string]bool{
		"0b9e6c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c": true,
		"t-1":                                  true,
		"a.b_c:d":                              true,
		"":                                     false,
		".":                                    false,
		"..":                                   false,
		"-rf":                                  false,
		"a/b":                                  false,
		"a b":                                  false,
		"测试":                                   false,
		strings.Repeat("a", MaxIDLen):          true,
		strings.Repeat("a", MaxIDLen+1):        false,
	}
	for id, want := range tests {
		if got := ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
}
