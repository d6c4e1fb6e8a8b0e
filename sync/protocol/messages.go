package protocol

import (
	"crypto/ed25519"
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Type is a control message's name in the envelope's "type" key.
type Type string

// The control message types of protocol version 1. The comment says who sends it.
const (
	TypeHello         Type = "hello"          // terminal: opens every connection
	TypeChallenge     Type = "challenge"      // hub: nonce to sign, chosen version
	TypeAuth          Type = "auth"           // terminal: signature over the challenge
	TypeWelcome       Type = "welcome"        // hub: handshake done, current versions
	TypeSubmit        Type = "submit"         // terminal: a submission's metadata
	TypeUploadState   Type = "upload_state"   // hub: where each attachment continues
	TypeChunkAck      Type = "chunk_ack"      // hub: a chunk is stored; next offset
	TypeCommit        Type = "commit"         // terminal: all bytes sent, store it
	TypeAck           Type = "ack"            // hub: stored for good (repeatable)
	TypeRating        Type = "rating"         // terminal: a resident's rating
	TypeHeartbeat     Type = "heartbeat"      // terminal: health, queue, versions
	TypeCatalog       Type = "catalog"        // hub: service catalog push
	TypeConfig        Type = "config"         // hub: terminal configuration push
	TypeAnnouncements Type = "announcements"  // hub: public notices
	TypeStatus        Type = "status"         // hub: progress of an earlier submission
	TypeStatusAck     Type = "status_ack"     // terminal: status update applied
	TypeCommand       Type = "command"        // hub: collect logs, reload
	TypeCommandResult Type = "command_result" // terminal: outcome of a command
	TypeError         Type = "error"          // either: a request could not be used
)

// Side is the sender of a message.
type Side int

// The two sides of a connection.
const (
	// Terminal is the kiosk's sync client.
	Terminal Side = 1 << iota
	// Hub is the central platform.
	Hub
)

func (s Side) String() string {
	switch s {
	case Terminal:
		return "terminal"
	case Hub:
		return "hub"
	}
	return "side(" + strconv.Itoa(int(s)) + ")"
}

// Message is one control message. Every concrete type is a pointer to a struct below.
type Message interface {
	// MessageType is the name written in the envelope.
	MessageType() Type
	// Validate reports the first problem as a *FieldError, or nil.
	Validate() error
}

type entry struct {
	from Side
	make func() Message
}

var registry = map[Type]entry{
	TypeHello:         {Terminal, func() Message { return new(Hello) }},
	TypeChallenge:     {Hub, func() Message { return new(Challenge) }},
	TypeAuth:          {Terminal, func() Message { return new(Auth) }},
	TypeWelcome:       {Hub, func() Message { return new(Welcome) }},
	TypeSubmit:        {Terminal, func() Message { return new(Submit) }},
	TypeUploadState:   {Hub, func() Message { return new(UploadState) }},
	TypeChunkAck:      {Hub, func() Message { return new(ChunkAck) }},
	TypeCommit:        {Terminal, func() Message { return new(Commit) }},
	TypeAck:           {Hub, func() Message { return new(Ack) }},
	TypeRating:        {Terminal, func() Message { return new(Rating) }},
	TypeHeartbeat:     {Terminal, func() Message { return new(Heartbeat) }},
	TypeCatalog:       {Hub, func() Message { return new(Catalog) }},
	TypeConfig:        {Hub, func() Message { return new(Config) }},
	TypeAnnouncements: {Hub, func() Message { return new(Announcements) }},
	TypeStatus:        {Hub, func() Message { return new(Status) }},
	TypeStatusAck:     {Terminal, func() Message { return new(StatusAck) }},
	TypeCommand:       {Hub, func() Message { return new(Command) }},
	TypeCommandResult: {Terminal, func() Message { return new(CommandResult) }},
	TypeError:         {Terminal | Hub, func() Message { return new(Error) }},
}

// Hello is the terminal's first message on every connection.
type Hello struct {
	// TerminalID is the id the hub assigned at enrollment.
	TerminalID string `json:"terminal_id"`
	// Versions are the protocol versions the terminal speaks.
	Versions []int `json:"versions"`
	// App is the kiosk software version.
	App string `json:"app_version"`
	// Catalog and Config are the versions the terminal holds; empty if none yet.
	Catalog string `json:"catalog_version,omitempty"`
	// Config is the terminal configuration version the terminal holds.
	Config string `json:"config_version,omitempty"`
	// Announcements is the announcements version the terminal holds.
	Announcements string `json:"announcements_version,omitempty"`
	// Nonce (version 2) is the terminal's fresh 32-byte nonce: the hub signs it with the
	// key the terminal pinned at enrollment (see HubProofMessage). A terminal offering
	// version 2 or later sends it; a hub choosing version 2 refuses a hello without it.
	Nonce []byte `json:"nonce,omitempty"`
}

// Challenge is the hub's answer to hello: the version it chose and a fresh nonce the
// terminal signs (see AuthMessage).
type Challenge struct {
	Version int `json:"version"`
	// HubID identifies the hub; the terminal learned it at enrollment and refuses a
	// challenge from another hub.
	HubID string `json:"hub_id"`
	Nonce []byte `json:"nonce"`
	// HubSignature (version 2 and later, required there; absent in version 1) is the
	// hub's Ed25519 signature over HubProofMessage: it proves the hub holds the private
	// key whose public half the terminal pinned at enrollment.
	HubSignature []byte `json:"hub_signature,omitempty"`
}

// Auth carries the terminal's Ed25519 signature over AuthMessage.
type Auth struct {
	Signature []byte `json:"signature"`
}

// Welcome ends a successful handshake.
type Welcome struct {
	Version      int    `json:"version"`
	TerminalID   string `json:"terminal_id"`
	TerminalCode string `json:"terminal_code"`
	// HubTime lets the terminal notice a wrong clock.
	HubTime time.Time `json:"hub_time"`
	// HeartbeatSeconds is how often the hub wants a heartbeat.
	HeartbeatSeconds int `json:"heartbeat_seconds"`
	// MaxChunk is the largest chunk data the hub accepts (MinChunkData..MaxChunkData).
	MaxChunk int `json:"max_chunk"`
	// Catalog, Config and Announcements are the versions the hub publishes now; a push
	// follows for each the terminal lacks.
	Catalog       string `json:"catalog_version,omitempty"`
	Config        string `json:"config_version,omitempty"`
	Announcements string `json:"announcements_version,omitempty"`
	// QueryKey keys IDHash for progress queries (32 bytes, base64 in JSON); the same
	// for every terminal of the hub.
	QueryKey []byte `json:"query_key,omitempty"`
}

// Attachment describes one file of a submission. Its bytes follow in chunk frames.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	// SHA256 is the lower-case hex SHA-256 of the whole file.
	SHA256 string `json:"sha256"`
}

// Submit announces a submission: its metadata and form values, and the attachments whose
// bytes follow. Sending it again for the same id is how a terminal resumes.
type Submit struct {
	ID           string    `json:"id"`
	TrackingCode string    `json:"tracking_code"`
	Item         string    `json:"item"`
	ItemTitle    string    `json:"item_title,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	// Fields are the form values: personal data.
	Fields      map[string]string `json:"fields,omitempty"`
	Attachments []Attachment      `json:"attachments,omitempty"`
}

// UploadState answers submit: for each attachment, in order, the next offset the hub
// expects (equal to its size when the hub has it all).
type UploadState struct {
	ID      string  `json:"id"`
	Offsets []int64 `json:"offsets"`
}

// ChunkAck acknowledges a stored chunk with the next offset the hub expects.
type ChunkAck struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
	Next  int64  `json:"next"`
}

// Commit asks the hub to store a submission whose attachments are complete.
type Commit struct {
	ID string `json:"id"`
}

// Ack kinds.
const (
	AckSubmission = "submission"
	AckRating     = "rating"
)

// Ack confirms that the hub has stored a submission or rating durably. A repeated commit
// or rating gets the same Ack again, with Duplicate set.
type Ack struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	HubRef     string    `json:"hub_ref"`
	ReceivedAt time.Time `json:"received_at"`
	Duplicate  bool      `json:"duplicate,omitempty"`
}

// Rating is a resident's rating of a service, delivered like a submission.
type Rating struct {
	ID           string    `json:"id"`
	SubmissionID string    `json:"submission_id,omitempty"`
	TrackingCode string    `json:"tracking_code,omitempty"`
	Item         string    `json:"item,omitempty"`
	Stars        int       `json:"stars"`
	Reasons      []string  `json:"reasons,omitempty"`
	Comment      string    `json:"comment,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// QueueDepth is the terminal's outbox as the heartbeat reports it.
type QueueDepth struct {
	Queued       int       `json:"queued"`
	Sending      int       `json:"sending"`
	Failed       int       `json:"failed"`
	OldestQueued time.Time `json:"oldest_queued,omitzero"`
	// Held counts submissions the hub refused with a conflict the terminal did not cause
	// (a tracking code already taken at the hub). The terminal keeps them, never marks
	// them failed, and waits for an operator (CommandResolveConflict).
	Held int `json:"held,omitempty"`
	// Conflicts lists the held submissions, oldest first, at most MaxConflicts.
	Conflicts []Conflict `json:"conflicts,omitempty"`
}

// MaxConflicts bounds QueueDepth.Conflicts.
const MaxConflicts = 32

// Conflict is one held submission as the heartbeat reports it: nothing personal.
type Conflict struct {
	ID           string    `json:"id"`
	TrackingCode string    `json:"tracking_code"`
	Reason       string    `json:"reason,omitempty"`
	Since        time.Time `json:"since"`
}

// DeviceState is a device's coarse state as a heartbeat reports it: the states of the one
// health model every driver reports (drivers/health, after CEN/XFS and UnifiedPOS),
// spelled out here so that what goes over the wire changes only with this package and
// docs/PROTOCOL.md, never as a side effect of a driver change.
type DeviceState string

// The device states a heartbeat may carry.
const (
	DeviceUnknown       DeviceState = "unknown"        // not checked yet
	DeviceOnline        DeviceState = "online"         // working and ready
	DeviceOffline       DeviceState = "offline"        // does not answer
	DeviceBusy          DeviceState = "busy"           // working on a request
	DeviceHardwareError DeviceState = "hardware_error" // needs a technician
	DeviceUserError     DeviceState = "user_error"     // needs a hand: paper out, cover open
)

// Usable reports whether a device in this state can be asked to work now.
func (s DeviceState) Usable() bool { return s == DeviceOnline || s == DeviceBusy }

// DeviceStatus is one device's health in a heartbeat. Reason and Details never carry
// personal data.
type DeviceStatus struct {
	Device  string            `json:"device"`
	Kind    string            `json:"kind"`
	State   DeviceState       `json:"state"`
	Reason  string            `json:"reason,omitempty"`
	Details map[string]string `json:"details,omitempty"`
	Since   time.Time         `json:"since"`
}

// Heartbeat reports the terminal's devices, outbox and versions.
type Heartbeat struct {
	At      time.Time      `json:"at"`
	Devices []DeviceStatus `json:"devices"`
	Queue   QueueDepth     `json:"queue"`
	App     string         `json:"app_version"`
	Catalog string         `json:"catalog_version,omitempty"`
	Config  string         `json:"config_version,omitempty"`
	// Announcements is the announcements version the terminal holds.
	Announcements string `json:"announcements_version,omitempty"`
	// ConfigRefused says the terminal refused the configuration push of that version
	// and keeps the configuration it reports in Config. Absent once a push applied.
	ConfigRefused *ConfigRefusal `json:"config_refused,omitempty"`
	// Update is the terminal's latest software-update steps, oldest first (at most
	// MaxUpdateSteps): downloaded, verified, installing, installed, rolled_back, refused…
	Update []UpdateStep `json:"update,omitempty"`
}

// UpdateStep is one step of a software update on a terminal: which release version,
// what happened, and a reason for a refusal (never personal data).
type UpdateStep struct {
	At      time.Time `json:"at"`
	Step    string    `json:"step"`
	Version string    `json:"version"`
	Detail  string    `json:"detail,omitempty"`
}

// MaxUpdateSteps is the most update steps one heartbeat carries.
const MaxUpdateSteps = 8

// UpdateSteps are the steps a terminal reports: the kiosk's own (downloaded, verified,
// installing, refused, skipped) and the install helper's (installed, rolled_back,
// rollback_impossible, failed).
var UpdateSteps = []string{"downloaded", "verified", "installing", "installed", "rolled_back", "refused", "skipped", "failed", "rollback_impossible"}

// ConfigRefusal is a configuration push the terminal refused, with its reasons (setting
// keys and what is wrong; never personal data).
type ConfigRefusal struct {
	Version  string   `json:"version"`
	Problems []string `json:"problems"`
}

// MaxConfigProblems is the most reasons one ConfigRefusal carries.
const MaxConfigProblems = 16

// Catalog pushes the service catalog. Payload is opaque JSON the kiosk's catalog package
// parses.
type Catalog struct {
	Version string          `json:"version"`
	Payload json.RawMessage `json:"payload"`
}

// Config pushes the terminal configuration, opaque JSON like Catalog.
type Config struct {
	Version string          `json:"version"`
	Payload json.RawMessage `json:"payload"`
}

// Announcement levels.
const (
	// LevelInfo is an ordinary announcement on the start screen.
	LevelInfo = "info"
	// LevelImportant is an announcement shown prominently (closures, outages).
	LevelImportant = "important"
	// LevelNotice belongs on the public notice board (政务公开) rather than the start
	// screen.
	LevelNotice = "notice"
)

// Announcement is one public notice (政务公开) shown on the kiosk.
type Announcement struct {
	ID    string    `json:"id"`
	Title string    `json:"title"`
	Body  string    `json:"body"`
	Level string    `json:"level"`
	From  time.Time `json:"from,omitzero"`
	Until time.Time `json:"until,omitzero"`
}

// Announcements replaces the whole set of notices.
type Announcements struct {
	Version string         `json:"version"`
	Items   []Announcement `json:"items"`
}

// Status tells a terminal about progress of one of its earlier submissions. The
// terminal applies it and answers StatusAck; the hub resends until acknowledged.
type Status struct {
	UpdateID     string    `json:"update_id"`
	SubmissionID string    `json:"submission_id"`
	TrackingCode string    `json:"tracking_code"`
	Status       string    `json:"status"`
	At           time.Time `json:"at"`
	Note         string    `json:"note,omitempty"`
}

// StatusAck confirms a Status update.
type StatusAck struct {
	UpdateID string `json:"update_id"`
}

// Commands the hub may send. Terminals answer an unknown name with a failed result.
const (
	CommandCollectLogs = "collect_logs"
	CommandReload      = "reload"
	// CommandResolveConflict resolves a held submission: args "id" (the submission) and
	// "action", ResolveReissue or ResolveRelease. The result's output of a re-issue is
	// the new tracking code, for the operator to pass on to the resident.
	CommandResolveConflict = "resolve_conflict"
	// CommandScreenshot asks for a PNG of the kiosk's window, base64 in the output. A
	// kiosk with a resident's visit in progress refuses with an error starting
	// ErrTextInUse: a screenshot never carries a resident's data.
	CommandScreenshot = "screenshot"
	// CommandRestart restarts the kiosk between visits (at once when none is in
	// progress, else when it ends), in normal mode.
	CommandRestart = "restart"
	// CommandSafeMode restarts the kiosk between visits into safe mode: self-service
	// paused, the technician screen open, until a technician or CommandRestart ends it.
	CommandSafeMode = "safe_mode"
	// CommandSupportBundle asks for the redacted support bundle (kioskctl
	// support-bundle's .tar.gz), base64 in the output. Arg "since" (a Go duration, at
	// most 7 days) bounds the logs; default 24h.
	CommandSupportBundle = "support_bundle"
)

// ErrTextInUse begins the error of a command the kiosk refuses because a resident's visit
// is in progress.
const ErrTextInUse = "in use"

// Actions of CommandResolveConflict.
const (
	// ResolveReissue gives the submission a new tracking code and sends it again.
	ResolveReissue = "reissue"
	// ResolveRelease sends it again as it is (the cause was removed at the hub).
	ResolveRelease = "release"
)

// Command asks the terminal to do something for an operator.
type Command struct {
	ID   string            `json:"id"`
	Name string            `json:"name"`
	Args map[string]string `json:"args,omitempty"`
}

// CommandResult answers a Command. An output longer than MaxCommandOutput (a screenshot,
// a support bundle) goes in parts: Part counts from 0, More is set on every part but the
// last, and the receiver joins the outputs in order; OK and Error are those of the last.
type CommandResult struct {
	ID     string `json:"id"`
	OK     bool   `json:"ok"`
	Output string `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
	Part   int    `json:"part,omitempty"`
	More   bool   `json:"more,omitempty"`
}

// Error says a message could not be used. Ref is the id of the item it concerns (a
// submission or rating id, an update or command id) or empty. For CodeBadOffset, Index
// and Next say where the attachment continues.
type Error struct {
	Code         Code   `json:"code"`
	Message      string `json:"message,omitempty"`
	Ref          string `json:"ref,omitempty"`
	RetryAfterMS int64  `json:"retry_after_ms,omitempty"`
	Index        int    `json:"index,omitempty"`
	Next         int64  `json:"next,omitempty"`
}

// MessageType implements Message.
func (*Hello) MessageType() Type { return TypeHello }

// MessageType implements Message.
func (*Challenge) MessageType() Type { return TypeChallenge }

// MessageType implements Message.
func (*Auth) MessageType() Type { return TypeAuth }

// MessageType implements Message.
func (*Welcome) MessageType() Type { return TypeWelcome }

// MessageType implements Message.
func (*Submit) MessageType() Type { return TypeSubmit }

// MessageType implements Message.
func (*UploadState) MessageType() Type { return TypeUploadState }

// MessageType implements Message.
func (*ChunkAck) MessageType() Type { return TypeChunkAck }

// MessageType implements Message.
func (*Commit) MessageType() Type { return TypeCommit }

// MessageType implements Message.
func (*Ack) MessageType() Type { return TypeAck }

// MessageType implements Message.
func (*Rating) MessageType() Type { return TypeRating }

// MessageType implements Message.
func (*Heartbeat) MessageType() Type { return TypeHeartbeat }

// MessageType implements Message.
func (*Catalog) MessageType() Type { return TypeCatalog }

// MessageType implements Message.
func (*Config) MessageType() Type { return TypeConfig }

// MessageType implements Message.
func (*Announcements) MessageType() Type { return TypeAnnouncements }

// MessageType implements Message.
func (*Status) MessageType() Type { return TypeStatus }

// MessageType implements Message.
func (*StatusAck) MessageType() Type { return TypeStatusAck }

// MessageType implements Message.
func (*Command) MessageType() Type { return TypeCommand }

// MessageType implements Message.
func (*CommandResult) MessageType() Type { return TypeCommandResult }

// MessageType implements Message.
func (*Error) MessageType() Type { return TypeError }

// ValidID reports whether s can be a submission, rating, terminal, update or command id:
// 1 to MaxIDLen characters from A–Z a–z 0–9 and . _ : -. Ids appear in chunk headers and
// in the hub's file names, so nothing else is allowed.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.' || c == '_' || c == ':' || c == '-':
			if i == 0 {
				return false // never ".", "..", or a leading dash in a file name
			}
		default:
			return false
		}
	}
	return true
}

// ValidTerminalCode reports whether s is a 4-character terminal code: digits and
// upper-case letters.
func ValidTerminalCode(s string) bool {
	if len(s) != 4 {
		return false
	}
	for i := 0; i < 4; i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// ValidTrackingCode reports whether s can be a tracking code: 4 to 32 characters of
// digits, letters and dashes.
func ValidTrackingCode(s string) bool {
	if len(s) < 4 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

// ValidVersion reports whether s can be a catalog, configuration, announcements or app
// version: 1 to 64 printable ASCII characters.
func ValidVersion(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func validWord(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func checkID(t Type, field, v string) error {
	if v == "" {
		return missing(t, field)
	}
	if !ValidID(v) {
		return invalid(t, field, "want 1-64 of A-Z a-z 0-9 . _ : -")
	}
	return nil
}

func checkOptionalID(t Type, field, v string) error {
	if v == "" {
		return nil
	}
	return checkID(t, field, v)
}

func checkText(t Type, field, v string, max int, required bool) error {
	if v == "" {
		if required {
			return missing(t, field)
		}
		return nil
	}
	if len(v) > max {
		return invalid(t, field, "longer than "+strconv.Itoa(max)+" bytes")
	}
	if !utf8.ValidString(v) {
		return invalid(t, field, "not UTF-8")
	}
	return nil
}

func checkVersion(t Type, field, v string, required bool) error {
	if v == "" {
		if required {
			return missing(t, field)
		}
		return nil
	}
	if !ValidVersion(v) {
		return invalid(t, field, "want 1-64 printable ASCII characters")
	}
	return nil
}

// checkReading checks a clock reading one side reports about itself (the hub's time in
// welcome, a heartbeat's time): present, but any year, since a machine with a dead clock
// battery reads 1970 and must still be able to connect and say so. The receiver judges
// whether to believe it.
func checkReading(t Type, field string, v time.Time) error {
	if v.IsZero() {
		return missing(t, field)
	}
	return nil
}

func checkTime(t Type, field string, v time.Time) error {
	if v.IsZero() {
		return missing(t, field)
	}
	if y := v.Year(); y < 2000 || y > 9999 {
		return invalid(t, field, "year out of range")
	}
	return nil
}

func checkPayload(t Type, p json.RawMessage) error {
	if len(p) == 0 || string(p) == "null" {
		return missing(t, "payload")
	}
	if !json.Valid(p) {
		return invalid(t, "payload", "not JSON")
	}
	return nil
}

// Validate implements Message.
func (m *Hello) Validate() error {
	const t = TypeHello
	if err := checkID(t, "terminal_id", m.TerminalID); err != nil {
		return err
	}
	if len(m.Versions) == 0 {
		return missing(t, "versions")
	}
	if len(m.Versions) > 16 {
		return invalid(t, "versions", "more than 16")
	}
	for _, v := range m.Versions {
		if v < 1 || v > 1000 {
			return invalid(t, "versions", "out of range 1-1000")
		}
	}
	if err := checkVersion(t, "app_version", m.App, true); err != nil {
		return err
	}
	if err := checkVersion(t, "catalog_version", m.Catalog, false); err != nil {
		return err
	}
	if err := checkVersion(t, "announcements_version", m.Announcements, false); err != nil {
		return err
	}
	if m.Nonce != nil && len(m.Nonce) != NonceSize {
		return invalid(t, "nonce", "want "+strconv.Itoa(NonceSize)+" bytes")
	}
	return checkVersion(t, "config_version", m.Config, false)
}

// Validate implements Message.
func (m *Challenge) Validate() error {
	const t = TypeChallenge
	if m.Version == 0 {
		return missing(t, "version")
	}
	if m.Version < 1 || m.Version > 1000 {
		return invalid(t, "version", "out of range 1-1000")
	}
	if err := checkID(t, "hub_id", m.HubID); err != nil {
		return err
	}
	if len(m.Nonce) == 0 {
		return missing(t, "nonce")
	}
	if len(m.Nonce) != NonceSize {
		return invalid(t, "nonce", "want "+strconv.Itoa(NonceSize)+" bytes")
	}
	switch {
	case m.Version >= 2 && len(m.HubSignature) == 0:
		return missing(t, "hub_signature")
	case m.Version < 2 && m.HubSignature != nil:
		return invalid(t, "hub_signature", "not in version 1")
	case m.HubSignature != nil && len(m.HubSignature) != ed25519.SignatureSize:
		return invalid(t, "hub_signature", "want 64 bytes")
	}
	return nil
}

// Validate implements Message.
func (m *Auth) Validate() error {
	if len(m.Signature) == 0 {
		return missing(TypeAuth, "signature")
	}
	if len(m.Signature) != ed25519.SignatureSize {
		return invalid(TypeAuth, "signature", "want 64 bytes")
	}
	return nil
}

// Validate implements Message.
func (m *Welcome) Validate() error {
	const t = TypeWelcome
	if m.Version == 0 {
		return missing(t, "version")
	}
	if err := checkID(t, "terminal_id", m.TerminalID); err != nil {
		return err
	}
	if m.TerminalCode == "" {
		return missing(t, "terminal_code")
	}
	if !ValidTerminalCode(m.TerminalCode) {
		return invalid(t, "terminal_code", "want 4 of 0-9 A-Z")
	}
	if err := checkReading(t, "hub_time", m.HubTime); err != nil {
		return err
	}
	if m.HeartbeatSeconds == 0 {
		return missing(t, "heartbeat_seconds")
	}
	if m.HeartbeatSeconds < 1 || m.HeartbeatSeconds > 3600 {
		return invalid(t, "heartbeat_seconds", "out of range 1-3600")
	}
	if len(m.QueryKey) != 0 && len(m.QueryKey) != 32 {
		return invalid(t, "query_key", "want 32 bytes")
	}
	if m.MaxChunk == 0 {
		return missing(t, "max_chunk")
	}
	if m.MaxChunk < MinChunkData || m.MaxChunk > MaxChunkData {
		return invalid(t, "max_chunk", "out of range 128 KiB-256 KiB")
	}
	for _, f := range []struct{ name, v string }{
		{"catalog_version", m.Catalog}, {"config_version", m.Config},
		{"announcements_version", m.Announcements},
	} {
		if err := checkVersion(t, f.name, f.v, false); err != nil {
			return err
		}
	}
	return nil
}

// Validate implements Message.
func (m *Submit) Validate() error {
	const t = TypeSubmit
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	if m.TrackingCode == "" {
		return missing(t, "tracking_code")
	}
	if !ValidTrackingCode(m.TrackingCode) {
		return invalid(t, "tracking_code", "want 4-32 of 0-9 A-Z a-z -")
	}
	if err := checkText(t, "item", m.Item, 128, true); err != nil {
		return err
	}
	if err := checkText(t, "item_title", m.ItemTitle, MaxText, false); err != nil {
		return err
	}
	if err := checkTime(t, "created_at", m.CreatedAt); err != nil {
		return err
	}
	if len(m.Fields) > MaxFields {
		return invalid(t, "fields", "more than "+strconv.Itoa(MaxFields))
	}
	for k, v := range m.Fields {
		// The key is safe to name in the error; the value never is.
		if k == "" || len(k) > MaxFieldKey || !utf8.ValidString(k) {
			return invalid(t, "fields", "a key is empty, too long or not UTF-8")
		}
		if len(v) > MaxFieldValue || !utf8.ValidString(v) {
			return invalid(t, "fields."+k, "value too long or not UTF-8")
		}
	}
	if len(m.Attachments) > MaxAttachments {
		return invalid(t, "attachments", "more than "+strconv.Itoa(MaxAttachments))
	}
	for i, a := range m.Attachments {
		f := "attachments[" + strconv.Itoa(i) + "]"
		if err := checkText(t, f+".name", a.Name, 255, true); err != nil {
			return err
		}
		if err := checkText(t, f+".content_type", a.ContentType, 128, true); err != nil {
			return err
		}
		if a.Size < 0 || a.Size > MaxAttachmentSize {
			return invalid(t, f+".size", "out of range 0-"+strconv.Itoa(MaxAttachmentSize))
		}
		if a.SHA256 == "" {
			return missing(t, f+".sha256")
		}
		if !isLowerHex(a.SHA256, 64) {
			return invalid(t, f+".sha256", "want 64 lower-case hex digits")
		}
	}
	return nil
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Validate implements Message.
func (m *UploadState) Validate() error {
	const t = TypeUploadState
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	if len(m.Offsets) > MaxAttachments {
		return invalid(t, "offsets", "more than "+strconv.Itoa(MaxAttachments))
	}
	for _, o := range m.Offsets {
		if o < 0 || o > MaxAttachmentSize {
			return invalid(t, "offsets", "out of range")
		}
	}
	return nil
}

// Validate implements Message.
func (m *ChunkAck) Validate() error {
	const t = TypeChunkAck
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	if m.Index < 0 || m.Index >= MaxAttachments {
		return invalid(t, "index", "out of range")
	}
	if m.Next < 0 || m.Next > MaxAttachmentSize {
		return invalid(t, "next", "out of range")
	}
	return nil
}

// Validate implements Message.
func (m *Commit) Validate() error { return checkID(TypeCommit, "id", m.ID) }

// Validate implements Message.
func (m *Ack) Validate() error {
	const t = TypeAck
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	switch m.Kind {
	case "":
		return missing(t, "kind")
	case AckSubmission, AckRating:
	default:
		return invalid(t, "kind", "want submission or rating")
	}
	if err := checkID(t, "hub_ref", m.HubRef); err != nil {
		return err
	}
	return checkReading(t, "received_at", m.ReceivedAt) // the hub's clock, which may be wrong
}

// Validate implements Message.
func (m *Rating) Validate() error {
	const t = TypeRating
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	if err := checkOptionalID(t, "submission_id", m.SubmissionID); err != nil {
		return err
	}
	if m.TrackingCode != "" && !ValidTrackingCode(m.TrackingCode) {
		return invalid(t, "tracking_code", "want 4-32 of 0-9 A-Z a-z -")
	}
	if err := checkText(t, "item", m.Item, 128, false); err != nil {
		return err
	}
	if m.Stars == 0 {
		return missing(t, "stars")
	}
	if m.Stars < 1 || m.Stars > 5 {
		return invalid(t, "stars", "want 1-5")
	}
	if len(m.Reasons) > 16 {
		return invalid(t, "reasons", "more than 16")
	}
	for _, r := range m.Reasons {
		if err := checkText(t, "reasons", r, 128, true); err != nil {
			return err
		}
	}
	if err := checkText(t, "comment", m.Comment, MaxText, false); err != nil {
		return err
	}
	return checkTime(t, "created_at", m.CreatedAt)
}

var knownStates = map[DeviceState]bool{
	DeviceUnknown: true, DeviceOnline: true, DeviceOffline: true, DeviceBusy: true,
	DeviceHardwareError: true, DeviceUserError: true,
}

// Validate implements Message.
func (m *Heartbeat) Validate() error {
	const t = TypeHeartbeat
	if err := checkReading(t, "at", m.At); err != nil {
		return err
	}
	if len(m.Devices) > MaxDevices {
		return invalid(t, "devices", "more than "+strconv.Itoa(MaxDevices))
	}
	for i, d := range m.Devices {
		f := "devices[" + strconv.Itoa(i) + "]"
		if err := checkText(t, f+".device", d.Device, 64, true); err != nil {
			return err
		}
		if err := checkText(t, f+".kind", d.Kind, 32, true); err != nil {
			return err
		}
		if d.State == "" {
			return missing(t, f+".state")
		}
		if !knownStates[d.State] {
			return invalid(t, f+".state", "unknown state")
		}
		if err := checkText(t, f+".reason", d.Reason, 256, false); err != nil {
			return err
		}
		if len(d.Details) > 32 {
			return invalid(t, f+".details", "more than 32")
		}
		for k, v := range d.Details {
			if len(k) == 0 || len(k) > 64 || len(v) > 256 {
				return invalid(t, f+".details", "key or value too long")
			}
		}
	}
	if r := m.ConfigRefused; r != nil {
		if !ValidVersion(r.Version) {
			return invalid(t, "config_refused.version", "want 1-64 printable ASCII characters")
		}
		if len(r.Problems) == 0 || len(r.Problems) > MaxConfigProblems {
			return invalid(t, "config_refused.problems", "want 1-"+strconv.Itoa(MaxConfigProblems))
		}
		for i, p := range r.Problems {
			if err := checkText(t, "config_refused.problems["+strconv.Itoa(i)+"]", p, 256, true); err != nil {
				return err
			}
		}
	}
	if len(m.Update) > MaxUpdateSteps {
		return invalid(t, "update", "more than "+strconv.Itoa(MaxUpdateSteps))
	}
	for i, u := range m.Update {
		f := "update[" + strconv.Itoa(i) + "]"
		if !slices.Contains(UpdateSteps, u.Step) {
			return invalid(t, f+".step", "unknown step")
		}
		if err := checkVersion(t, f+".version", u.Version, false); err != nil {
			return err
		}
		if err := checkText(t, f+".detail", u.Detail, 256, false); err != nil {
			return err
		}
	}
	q := m.Queue
	if q.Queued < 0 || q.Sending < 0 || q.Failed < 0 || q.Held < 0 {
		return invalid(t, "queue", "negative count")
	}
	if len(q.Conflicts) > MaxConflicts {
		return invalid(t, "queue.conflicts", "more than "+strconv.Itoa(MaxConflicts))
	}
	for i, cf := range q.Conflicts {
		f := "queue.conflicts[" + strconv.Itoa(i) + "]"
		if err := checkID(t, f+".id", cf.ID); err != nil {
			return err
		}
		if !ValidTrackingCode(cf.TrackingCode) {
			return invalid(t, f+".tracking_code", "want 4-32 of 0-9 A-Z a-z -")
		}
		if err := checkText(t, f+".reason", cf.Reason, 256, false); err != nil {
			return err
		}
	}
	if err := checkVersion(t, "app_version", m.App, true); err != nil {
		return err
	}
	if err := checkVersion(t, "catalog_version", m.Catalog, false); err != nil {
		return err
	}
	if err := checkVersion(t, "announcements_version", m.Announcements, false); err != nil {
		return err
	}
	return checkVersion(t, "config_version", m.Config, false)
}

// Validate implements Message.
func (m *Catalog) Validate() error {
	if err := checkVersion(TypeCatalog, "version", m.Version, true); err != nil {
		return err
	}
	return checkPayload(TypeCatalog, m.Payload)
}

// Validate implements Message.
func (m *Config) Validate() error {
	if err := checkVersion(TypeConfig, "version", m.Version, true); err != nil {
		return err
	}
	return checkPayload(TypeConfig, m.Payload)
}

// Validate implements Message.
func (m *Announcements) Validate() error {
	const t = TypeAnnouncements
	if err := checkVersion(t, "version", m.Version, true); err != nil {
		return err
	}
	if len(m.Items) > 100 {
		return invalid(t, "items", "more than 100")
	}
	for i, a := range m.Items {
		if err := a.validate(t, "items["+strconv.Itoa(i)+"]"); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks one announcement as an operator submits it.
func (a Announcement) Validate() error { return a.validate(TypeAnnouncements, "item") }

func (a Announcement) validate(t Type, f string) error {
	if err := checkID(t, f+".id", a.ID); err != nil {
		return err
	}
	if err := checkText(t, f+".title", a.Title, 256, true); err != nil {
		return err
	}
	if err := checkText(t, f+".body", a.Body, 16<<10, true); err != nil {
		return err
	}
	switch a.Level {
	case "":
		return missing(t, f+".level")
	case LevelInfo, LevelImportant, LevelNotice:
	default:
		return invalid(t, f+".level", "want info, important or notice")
	}
	if !a.From.IsZero() && !a.Until.IsZero() && a.Until.Before(a.From) {
		return invalid(t, f+".until", "before from")
	}
	return nil
}

// Validate implements Message.
func (m *Status) Validate() error {
	const t = TypeStatus
	if err := checkID(t, "update_id", m.UpdateID); err != nil {
		return err
	}
	if err := checkID(t, "submission_id", m.SubmissionID); err != nil {
		return err
	}
	if m.TrackingCode == "" {
		return missing(t, "tracking_code")
	}
	if !ValidTrackingCode(m.TrackingCode) {
		return invalid(t, "tracking_code", "want 4-32 of 0-9 A-Z a-z -")
	}
	if m.Status == "" {
		return missing(t, "status")
	}
	if !validWord(m.Status, 32) {
		return invalid(t, "status", "want 1-32 of a-z 0-9 _")
	}
	if err := checkTime(t, "at", m.At); err != nil {
		return err
	}
	return checkText(t, "note", m.Note, MaxText, false)
}

// Validate implements Message.
func (m *StatusAck) Validate() error { return checkID(TypeStatusAck, "update_id", m.UpdateID) }

// Validate implements Message.
func (m *Command) Validate() error {
	const t = TypeCommand
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	if m.Name == "" {
		return missing(t, "name")
	}
	if !validWord(m.Name, 32) {
		return invalid(t, "name", "want 1-32 of a-z 0-9 _")
	}
	if len(m.Args) > 16 {
		return invalid(t, "args", "more than 16")
	}
	for k, v := range m.Args {
		if !validWord(k, 32) || len(v) > 256 || !utf8.ValidString(v) {
			return invalid(t, "args", "bad key or value")
		}
	}
	return nil
}

// Validate implements Message.
func (m *CommandResult) Validate() error {
	const t = TypeCommandResult
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	if err := checkText(t, "output", m.Output, MaxCommandOutput, false); err != nil {
		return err
	}
	if m.Part < 0 || m.Part >= MaxCommandParts {
		return invalid(t, "part", "out of range")
	}
	return checkText(t, "error", m.Error, MaxText, false)
}

// Validate implements Message.
func (m *Error) Validate() error {
	const t = TypeError
	if m.Code == "" {
		return missing(t, "code")
	}
	if !validWord(string(m.Code), 32) {
		return invalid(t, "code", "want 1-32 of a-z 0-9 _")
	}
	if err := checkText(t, "message", m.Message, MaxText, false); err != nil {
		return err
	}
	if err := checkOptionalID(t, "ref", m.Ref); err != nil {
		return err
	}
	if m.RetryAfterMS < 0 || m.RetryAfterMS > 24*3600*1000 {
		return invalid(t, "retry_after_ms", "out of range")
	}
	if m.Index < 0 || m.Index >= MaxAttachments {
		return invalid(t, "index", "out of range")
	}
	if m.Next < 0 || m.Next > MaxAttachmentSize {
		return invalid(t, "next", "out of range")
	}
	return nil
}
