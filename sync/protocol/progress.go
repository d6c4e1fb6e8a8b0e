package protocol

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Progress queries (version 2): a terminal asks the hub for the status of a resident's
// submissions made at any terminal, by tracking code or by a keyed hash of the ID
// number, so the number itself never crosses the wire for a query.
const (
	TypeProgressQuery Type = "progress_query" // terminal: a resident's submissions, by code or ID hash
	TypeProgress      Type = "progress"       // hub: the answer to a progress query
)

// MaxProgressItems is the most submissions one progress answer lists.
const MaxProgressItems = 50

func init() {
	registry[TypeProgressQuery] = entry{Terminal, func() Message { return new(ProgressQuery) }}
	registry[TypeProgress] = entry{Hub, func() Message { return new(Progress) }}
}

// ProgressQuery asks for submissions by exactly one of TrackingCode or IDHash.
type ProgressQuery struct {
	// ID is the terminal's request id, repeated in the answer.
	ID           string `json:"id"`
	TrackingCode string `json:"tracking_code,omitempty"`
	// IDHash is IDHash(the key the hub gave at enrollment, the ID number).
	IDHash string `json:"id_hash,omitempty"`
}

// Progress answers a ProgressQuery. Tracking codes in it are masked unless the query
// named that code: a card's holder learns their submissions' state, not codes they did
// not type.
type Progress struct {
	ID    string         `json:"id"`
	Items []ProgressItem `json:"items"`
}

// ProgressItem is one submission's state at the hub.
type ProgressItem struct {
	TrackingCode string    `json:"tracking_code"`
	Item         string    `json:"item"`
	ItemTitle    string    `json:"item_title,omitempty"`
	HubRef       string    `json:"hub_ref"`
	ReceivedAt   time.Time `json:"received_at"`
	Status       string    `json:"status,omitempty"`
	StatusAt     time.Time `json:"status_at,omitzero"`
	// Note is the business system's remark with the latest status (what to correct,
	// where to collect), as the Status push carries it to the submitting terminal.
	Note string `json:"note,omitempty"`
}

// MessageType implements Message.
func (*ProgressQuery) MessageType() Type { return TypeProgressQuery }

// MessageType implements Message.
func (*Progress) MessageType() Type { return TypeProgress }

// Validate implements Message.
func (m *ProgressQuery) Validate() error {
	const t = TypeProgressQuery
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	switch {
	case m.TrackingCode == "" && m.IDHash == "":
		return missing(t, "tracking_code")
	case m.TrackingCode != "" && m.IDHash != "":
		return invalid(t, "id_hash", "send tracking_code or id_hash, not both")
	case m.TrackingCode != "" && !ValidTrackingCode(m.TrackingCode):
		return invalid(t, "tracking_code", "want 4-32 of 0-9 A-Z a-z -")
	case m.IDHash != "" && !validHash(m.IDHash):
		return invalid(t, "id_hash", "want 64 lower-case hex digits")
	}
	return nil
}

// Validate implements Message.
func (m *Progress) Validate() error {
	const t = TypeProgress
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	if len(m.Items) > MaxProgressItems {
		return invalid(t, "items", "too many")
	}
	for _, it := range m.Items {
		if it.TrackingCode == "" || len(it.TrackingCode) > 32 {
			return invalid(t, "items.tracking_code", "want 1-32 characters")
		}
		if len(it.Item) > MaxIDLen || len(it.ItemTitle) > MaxText || len(it.HubRef) > MaxIDLen {
			return invalid(t, "items", "field too long")
		}
		if it.Status != "" && !validWord(it.Status, 32) {
			return invalid(t, "items.status", "want 1-32 of a-z 0-9 _")
		}
		if err := checkText(t, "items.note", it.Note, MaxText, false); err != nil {
			return err
		}
	}
	return nil
}

func validHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// IDHash is the keyed hash that stands for an ID number in progress queries: the
// lower-case hex HMAC-SHA256, keyed with the hub's query key, of the number in upper
// case without spaces. The hub computes the same from the submissions it stores.
func IDHash(key []byte, idNumber string) string {
	n := strings.ToUpper(strings.Join(strings.Fields(idNumber), ""))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(n))
	return hex.EncodeToString(m.Sum(nil))
}
