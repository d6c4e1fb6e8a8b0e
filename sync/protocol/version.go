package protocol

import "slices"

// Version is the newest protocol version this package speaks. A connection runs one
// version, chosen by the hub from those the terminal offers in its hello.
const Version = 2

// MinTerminalVersion is the oldest version a terminal offers: version 2 is the first in
// which the hub proves it holds the key the terminal pinned at enrollment, and a terminal
// that accepted version 1 could be talked down to a hub that proves nothing.
const MinTerminalVersion = 2

// Subprotocol is the websocket subprotocol token both sides ask for during the upgrade.
// The version itself is negotiated in hello/challenge, so the token never changes.
const Subprotocol = "govkiosk.sync"

// HTTP paths on the hub.
const (
	// ConnectPath is the websocket endpoint terminals connect to.
	ConnectPath = "/v1/connect"
	// EnrollPath takes a POSTed EnrollRequest and answers an EnrollResponse.
	EnrollPath = "/v1/enroll"
)

// Size limits. A receiver rejects anything larger with ErrTooLarge (wire code too_large)
// before parsing it.
const (
	// MaxClientText is the largest JSON text frame a terminal may send.
	MaxClientText = 64 << 10
	// MaxHubText is the largest JSON text frame the hub may send; catalog pushes are
	// the big ones.
	MaxHubText = 8 << 20
	// MinChunkData and MaxChunkData bound the data in one attachment chunk. Every chunk
	// but the last of an attachment carries at least MinChunkData bytes.
	MinChunkData = 128 << 10
	// MaxChunkData is the largest data part of one chunk frame.
	MaxChunkData = 256 << 10
	// MaxIDLen is the longest submission, rating, terminal or update id.
	MaxIDLen = 64
	// MaxChunkHeader is the longest chunk header (kind, id length, id, index, offset).
	MaxChunkHeader = 1 + 1 + MaxIDLen + 2 + 8
	// MaxChunkFrame is the largest binary frame either side accepts.
	MaxChunkFrame = MaxChunkHeader + MaxChunkData
	// MaxAttachments is the most attachments one submission may carry.
	MaxAttachments = 32
	// MaxAttachmentSize is the largest single attachment.
	MaxAttachmentSize = 64 << 20
	// MaxFields is the most form fields one submission may carry.
	MaxFields = 256
	// MaxFieldKey and MaxFieldValue bound one form field's name and value in bytes.
	MaxFieldKey = 64
	// MaxFieldValue is the longest form field value in bytes.
	MaxFieldValue = 8 << 10
	// MaxText is the longest free-text field (titles, comments, reasons) in bytes.
	MaxText = 2 << 10
	// MaxDevices is the most device statuses one heartbeat may carry.
	MaxDevices = 64
	// NonceSize is the length of the hub's challenge nonce.
	NonceSize = 32
	// MaxCommandOutput is the longest command result output in bytes; it leaves room
	// for the rest of the frame under MaxClientText.
	MaxCommandOutput = 48 << 10
	// MaxCommandParts is the most parts one command result may come in, so a whole
	// output is at most MaxCommandParts × MaxCommandOutput (24 MiB).
	MaxCommandParts = 512
)

var supported = []int{1, 2}

// Versions returns the protocol versions this package can speak, oldest first. A hub
// speaks all of them (terminals enrolled before version 2 still deliver); a terminal
// offers only TerminalVersions.
func Versions() []int { return slices.Clone(supported) }

// TerminalVersions returns the versions a terminal offers in its hello: those from
// MinTerminalVersion on.
func TerminalVersions() []int {
	var vs []int
	for _, v := range supported {
		if v >= MinTerminalVersion {
			vs = append(vs, v)
		}
	}
	return vs
}

// Choose returns the highest version both this package and the offer support.
func Choose(offered []int) (int, bool) {
	best := 0
	for _, v := range offered {
		if slices.Contains(supported, v) && v > best {
			best = v
		}
	}
	return best, best != 0
}
