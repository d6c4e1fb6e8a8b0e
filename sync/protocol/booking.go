package protocol

// Counter appointments (version 2): the hub manages half-day slots per hall and item.
// A terminal asks for the next 14 days' free places, books one place for the
// submission it is about to make (the booking's id is the submission's id, so the
// booking follows the submission's tracking code), and cancels a booking by that id or
// by the tracking code at any terminal. Capacity is enforced by the hub in one
// transaction: a slot is never booked beyond it.
const (
	TypeSlotsQuery       Type = "slots_query"       // terminal: the calendar of an item
	TypeSlots            Type = "slots"             // hub: free places per slot
	TypeBook             Type = "book"              // terminal: take a place
	TypeBooked           Type = "booked"            // hub: the place is yours
	TypeConfirmBooking   Type = "confirm_booking"   // terminal: the resident submitted; keep the place
	TypeCancelBooking    Type = "cancel_booking"    // terminal: give a place back
	TypeBookingCancelled Type = "booking_cancelled" // hub: the place is free again
)

// Booking refusals. Nothing changed at the hub; the terminal shows the calendar again.
const (
	// CodeSlotFull: every place of the slot is taken.
	CodeSlotFull Code = "slot_full"
	// CodeSlotPast: the slot has begun already.
	CodeSlotPast Code = "slot_past"
	// CodeSlotUnavailable: no counter service then (a closed day, beyond the window, or
	// an item the hall does not book).
	CodeSlotUnavailable Code = "slot_unavailable"
)

// MaxSlots is the most slots one calendar lists (14 days of two halves).
const MaxSlots = 28

func init() {
	registry[TypeSlotsQuery] = entry{Terminal, func() Message { return new(SlotsQuery) }}
	registry[TypeSlots] = entry{Hub, func() Message { return new(Slots) }}
	registry[TypeBook] = entry{Terminal, func() Message { return new(Book) }}
	registry[TypeBooked] = entry{Hub, func() Message { return new(Booked) }}
	registry[TypeConfirmBooking] = entry{Terminal, func() Message { return new(ConfirmBooking) }}
	registry[TypeCancelBooking] = entry{Terminal, func() Message { return new(CancelBooking) }}
	registry[TypeBookingCancelled] = entry{Hub, func() Message { return new(BookingCancelled) }}
}

// SlotsQuery asks for an item's calendar in the terminal's hall.
type SlotsQuery struct {
	ID   string `json:"id"`
	Item string `json:"item"`
}

// Slots answers a SlotsQuery: every slot of the window, in order.
type Slots struct {
	ID    string     `json:"id"`
	Item  string     `json:"item"`
	Hall  string     `json:"hall,omitempty"`
	Slots []SlotFree `json:"slots"`
}

// SlotFree is one slot's places.
type SlotFree struct {
	// Slot is "2006-01-02/am" or "2006-01-02/pm".
	Slot     string `json:"slot"`
	Capacity int    `json:"capacity"`
	Booked   int    `json:"booked"`
	// Closed is a slot that cannot be booked (a closed day, or begun already).
	Closed bool `json:"closed,omitempty"`
}

// Book takes one place in a slot for the submission BookingID.
type Book struct {
	ID        string `json:"id"`
	BookingID string `json:"booking_id"`
	Item      string `json:"item"`
	Slot      string `json:"slot"`
}

// Booked confirms a booking (a repeated Book for the same BookingID confirms it again).
type Booked struct {
	ID        string `json:"id"`
	BookingID string `json:"booking_id"`
	Item      string `json:"item"`
	Slot      string `json:"slot"`
	Hall      string `json:"hall,omitempty"`
}

// ConfirmBooking keeps a booked place for good. A place a Book took is only held for a
// while (a kiosk that loses power mid-visit never gives it back); the terminal confirms
// it once the resident submits, before the receipt prints it. The hub answers Booked,
// or not_found when the hold ran out and the place went to someone else.
type ConfirmBooking struct {
	ID        string `json:"id"`
	BookingID string `json:"booking_id"`
}

// CancelBooking gives a place back, by exactly one of BookingID (the terminal that
// booked, before the submission left) or TrackingCode (any terminal, later).
type CancelBooking struct {
	ID           string `json:"id"`
	BookingID    string `json:"booking_id,omitempty"`
	TrackingCode string `json:"tracking_code,omitempty"`
}

// BookingCancelled confirms a cancellation.
type BookingCancelled struct {
	ID        string `json:"id"`
	BookingID string `json:"booking_id"`
	Item      string `json:"item"`
	Slot      string `json:"slot"`
}

// MessageType implements Message.
func (*SlotsQuery) MessageType() Type { return TypeSlotsQuery }

// MessageType implements Message.
func (*Slots) MessageType() Type { return TypeSlots }

// MessageType implements Message.
func (*Book) MessageType() Type { return TypeBook }

// MessageType implements Message.
func (*Booked) MessageType() Type { return TypeBooked }

// MessageType implements Message.
func (*ConfirmBooking) MessageType() Type { return TypeConfirmBooking }

// MessageType implements Message.
func (*CancelBooking) MessageType() Type { return TypeCancelBooking }

// MessageType implements Message.
func (*BookingCancelled) MessageType() Type { return TypeBookingCancelled }

// validSlot reports whether s looks like "2006-01-02/am" or "2006-01-02/pm"; the hub
// checks the date itself.
func validSlot(s string) bool {
	if len(s) != 13 || s[10] != '/' || (s[11:] != "am" && s[11:] != "pm") || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range s[:10] {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func checkItem(t Type, v string) error {
	if v == "" {
		return missing(t, "item")
	}
	if !ValidID(v) {
		return invalid(t, "item", "want 1-64 of A-Z a-z 0-9 . _ : -")
	}
	return nil
}

func checkSlot(t Type, v string) error {
	if v == "" {
		return missing(t, "slot")
	}
	if !validSlot(v) {
		return invalid(t, "slot", "want YYYY-MM-DD/am or YYYY-MM-DD/pm")
	}
	return nil
}

// Validate implements Message.
func (m *SlotsQuery) Validate() error {
	if err := checkID(TypeSlotsQuery, "id", m.ID); err != nil {
		return err
	}
	return checkItem(TypeSlotsQuery, m.Item)
}

// Validate implements Message.
func (m *Slots) Validate() error {
	const t = TypeSlots
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	if err := checkItem(t, m.Item); err != nil {
		return err
	}
	if err := checkText(t, "hall", m.Hall, 256, false); err != nil {
		return err
	}
	if len(m.Slots) > MaxSlots {
		return invalid(t, "slots", "too many")
	}
	for _, s := range m.Slots {
		if err := checkSlot(t, s.Slot); err != nil {
			return err
		}
		if s.Capacity < 0 || s.Booked < 0 || s.Capacity > 1_000_000 || s.Booked > 1_000_000 {
			return invalid(t, "slots", "capacity and booked are 0 to 1000000")
		}
	}
	return nil
}

// checkPlace checks what Book, Booked and BookingCancelled share: the request id, the
// booking id, the item and the slot, and the hall where the message carries one.
func checkPlace(t Type, id, bookingID, item, slot, hall string) error {
	if err := checkID(t, "id", id); err != nil {
		return err
	}
	if err := checkID(t, "booking_id", bookingID); err != nil {
		return err
	}
	if err := checkItem(t, item); err != nil {
		return err
	}
	if err := checkText(t, "hall", hall, 256, false); err != nil {
		return err
	}
	return checkSlot(t, slot)
}

// Validate implements Message.
func (m *Book) Validate() error {
	return checkPlace(TypeBook, m.ID, m.BookingID, m.Item, m.Slot, "")
}

// Validate implements Message.
func (m *Booked) Validate() error {
	return checkPlace(TypeBooked, m.ID, m.BookingID, m.Item, m.Slot, m.Hall)
}

// Validate implements Message.
func (m *ConfirmBooking) Validate() error {
	if err := checkID(TypeConfirmBooking, "id", m.ID); err != nil {
		return err
	}
	return checkID(TypeConfirmBooking, "booking_id", m.BookingID)
}

// Validate implements Message.
func (m *CancelBooking) Validate() error {
	const t = TypeCancelBooking
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	switch {
	case m.BookingID == "" && m.TrackingCode == "":
		return missing(t, "booking_id")
	case m.BookingID != "" && m.TrackingCode != "":
		return invalid(t, "tracking_code", "send booking_id or tracking_code, not both")
	case m.BookingID != "":
		return checkID(t, "booking_id", m.BookingID)
	case !ValidTrackingCode(m.TrackingCode):
		return invalid(t, "tracking_code", "want 4-32 of 0-9 A-Z a-z -")
	}
	return nil
}

// Validate implements Message.
func (m *BookingCancelled) Validate() error {
	return checkPlace(TypeBookingCancelled, m.ID, m.BookingID, m.Item, m.Slot, "")
}
