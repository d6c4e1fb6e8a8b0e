package hub

import (
	"errors"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/booking"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Counter appointments: the hub manages half-day slots per hall and item. A terminal's
// hall is where an operator placed it (its placement's site; "" until placed). Places
// are taken and given back in one storage transaction each (booking_store.go), so a slot
// is never booked beyond its capacity across connections and replicas.

// Appointments configure which items residents may book at the counter, and how many
// places each half-day slot holds.
type Appointments struct {
	// Default is the places per half-day slot of an item not listed in Items; 0 makes
	// only the listed items bookable.
	Default int `json:"default"`
	// Items are the places per half-day slot by item id.
	Items map[string]int `json:"items,omitempty"`
	// Halls override Items for one hall (by placement site): hall → item → places.
	Halls map[string]map[string]int `json:"halls,omitempty"`
	// Rules are the hall's time zone and closed weekdays.
	Rules booking.Rules `json:"-"`
	// Hold is how long a booked place waits for the terminal to confirm it (the
	// resident submitted) before it is given back; DefaultBookingHold when 0.
	Hold time.Duration `json:"-"`
}

func (a *Appointments) hold() time.Duration {
	if a.Hold > 0 {
		return a.Hold
	}
	return DefaultBookingHold
}

func (a *Appointments) capacity(hall, item string) int {
	if n, ok := a.Halls[hall][item]; ok {
		return n
	}
	if n, ok := a.Items[item]; ok {
		return n
	}
	return a.Default
}

// Budget of appointment requests per terminal: a resident looks at a calendar, books,
// perhaps changes their mind; more looks like a terminal holding slots hostage.
const (
	bookingRate  = 1.0 // per second
	bookingBurst = 20
)

type bookingBudgets struct {
	mu sync.Mutex
	by map[string]*tokenBucket
}

func (h *Hub) bookingBudget(terminalID string) *tokenBucket {
	h.bookingQ.mu.Lock()
	defer h.bookingQ.mu.Unlock()
	if h.bookingQ.by == nil {
		h.bookingQ.by = map[string]*tokenBucket{}
	}
	b := h.bookingQ.by[terminalID]
	if b == nil {
		b = newTokenBucket(bookingRate, bookingBurst, h.opt.Now)
		h.bookingQ.by[terminalID] = b
	}
	return b
}

// admitBooking checks that the hub books appointments and the terminal has budget;
// otherwise it answers ref and returns false.
func (c *conn) admitBooking(ref string) bool {
	h := c.h
	if h.opt.Appointments == nil {
		c.reply(protocol.Errorf(protocol.CodeSlotUnavailable, ref, "this hub books no counter appointments"))
		return false
	}
	if ok, wait := h.bookingBudget(c.term.rec.ID).take(); !ok {
		e := protocol.Errorf(protocol.CodeTryLater, ref, "too many appointment requests; try again later")
		e.RetryAfterMS = max(wait, h.opt.RetryAfter).Milliseconds()
		c.reply(e)
		return false
	}
	return true
}

// hallOf is the hall a terminal stands in: its placement's site.
func (h *Hub) hallOf(terminalID string) (string, error) {
	ps, err := h.st.placements()
	if err != nil {
		return "", err
	}
	return ps[terminalID].Site, nil
}

func (c *conn) handleSlotsQuery(m *protocol.SlotsQuery) {
	h := c.h
	if !c.admitBooking(m.ID) {
		return
	}
	hall, err := h.hallOf(c.term.rec.ID)
	if err != nil {
		c.storageBusy(m.ID, err)
		return
	}
	ap := h.opt.Appointments
	capacity := ap.capacity(hall, m.Item)
	now := h.opt.Now()
	dates := ap.Rules.Window(now)
	counts, err := h.st.slotCounts(hall, m.Item, dates, now)
	if err != nil {
		c.storageBusy(m.ID, err)
		return
	}
	caps, holidays, err := h.st.slotRules()
	if err != nil {
		c.storageBusy(m.ID, err)
		return
	}
	out := &protocol.Slots{ID: m.ID, Item: m.Item, Hall: hall, Slots: make([]protocol.SlotFree, 0, 2*len(dates))}
	for _, d := range dates {
		for _, half := range []booking.Half{booking.AM, booking.PM} {
			s := booking.Slot{Date: d, Half: half}
			// An operator's capacity for the half-day replaces the configured one; on a
			// holiday the hall has no slots (shown closed, with no places).
			n, _, holiday := effective(caps, holidays, hall, m.Item, s.String(), capacity)
			if holiday {
				n = 0
			}
			out.Slots = append(out.Slots, protocol.SlotFree{Slot: s.String(), Capacity: n, Booked: counts[s.String()],
				Closed: holiday || n == 0 || ap.Rules.Bookable(s, now) != nil})
		}
	}
	c.sendMsg(out)
}

func (c *conn) handleBook(m *protocol.Book) {
	h := c.h
	if !c.admitBooking(m.ID) {
		return
	}
	slot, err := booking.Parse(m.Slot)
	if err != nil {
		c.reply(protocol.Errorf(protocol.CodeBadMessage, m.ID, "%v", err))
		return
	}
	hall, err := h.hallOf(c.term.rec.ID)
	if err != nil {
		c.storageBusy(m.ID, err)
		return
	}
	ap := h.opt.Appointments
	capacity := ap.capacity(hall, m.Item)
	caps, _, err := h.st.slotRules()
	if err != nil {
		c.storageBusy(m.ID, err)
		return
	}
	if n, set, _ := effective(caps, nil, hall, m.Item, slot.String(), capacity); n <= 0 {
		if set {
			c.reply(protocol.Errorf(protocol.CodeSlotFull, m.ID, "%s has no places", slot))
		} else {
			c.reply(protocol.Errorf(protocol.CodeSlotUnavailable, m.ID, "%s is not booked at this hall's counter", m.Item))
		}
		return
	}
	if err := ap.Rules.Bookable(slot, h.opt.Now()); err != nil {
		code := protocol.CodeSlotUnavailable
		if errors.Is(err, booking.ErrPast) {
			code = protocol.CodeSlotPast
		}
		c.reply(protocol.Errorf(code, m.ID, "%v", err))
		return
	}
	now := h.opt.Now()
	// The place is held until the terminal confirms it: a kiosk that dies mid-visit
	// never gives it back, so the hold runs out on its own.
	rec := &bookingRecord{ID: m.BookingID, TerminalID: c.term.rec.ID, Hall: hall, Item: m.Item, Slot: slot.String(),
		CreatedAt: now.UTC(), HeldUntil: now.Add(ap.hold()).UTC()}
	got, existed, err := h.st.book(rec, capacity, now)
	switch {
	case errors.Is(err, ErrSlotFull):
		c.reply(protocol.Errorf(protocol.CodeSlotFull, m.ID, "every place of %s is taken", slot))
		return
	case errors.Is(err, ErrSlotClosed):
		c.reply(protocol.Errorf(protocol.CodeSlotUnavailable, m.ID, "the hall is closed on %s (a holiday)", slot.Date))
		return
	case err != nil:
		c.storageBusy(m.ID, err)
		return
	case existed && got.TerminalID != c.term.rec.ID:
		// Another terminal's booking id: never confirm, never reveal its slot.
		c.reply(protocol.Errorf(protocol.CodeConflict, m.ID, "booking id already used"))
		return
	}
	c.log.Info("appointment booked", "booking", got.ID, "item", got.Item, "slot", got.Slot, "repeat", existed)
	c.sendMsg(&protocol.Booked{ID: m.ID, BookingID: got.ID, Item: got.Item, Slot: got.Slot, Hall: got.Hall})
}

// handleConfirmBooking keeps a place this terminal booked for good: its resident
// submitted, and the receipt is about to print the appointment.
func (c *conn) handleConfirmBooking(m *protocol.ConfirmBooking) {
	h := c.h
	if !c.admitBooking(m.ID) {
		return
	}
	b, err := h.st.bookingByID(m.BookingID)
	if err != nil {
		c.storageBusy(m.ID, err)
		return
	}
	if b == nil || b.TerminalID != c.term.rec.ID {
		c.reply(protocol.Errorf(protocol.CodeNotFound, m.ID, "no such appointment; the place was given back"))
		return
	}
	b, err = h.st.confirmBooking(m.BookingID)
	if errors.Is(err, ErrNotFound) {
		c.reply(protocol.Errorf(protocol.CodeNotFound, m.ID, "no such appointment; the place was given back"))
		return
	}
	if err != nil {
		c.storageBusy(m.ID, err)
		return
	}
	c.log.Info("appointment confirmed", "booking", b.ID, "item", b.Item, "slot", b.Slot)
	c.sendMsg(&protocol.Booked{ID: m.ID, BookingID: b.ID, Item: b.Item, Slot: b.Slot, Hall: b.Hall})
}

func (c *conn) handleCancelBooking(m *protocol.CancelBooking) {
	h := c.h
	if !c.admitBooking(m.ID) {
		return
	}
	id := m.BookingID
	if m.TrackingCode != "" {
		// Anyone holding the receipt's tracking code may cancel, at any terminal.
		sub, err := h.st.byTracking(m.TrackingCode)
		if err != nil {
			c.storageBusy(m.ID, err)
			return
		}
		if sub == nil {
			c.reply(protocol.Errorf(protocol.CodeNotFound, m.ID, "no appointment for that tracking code"))
			return
		}
		id = sub.ID
	}
	b, err := h.st.bookingByID(id)
	if err != nil {
		c.storageBusy(m.ID, err)
		return
	}
	if b == nil || m.TrackingCode == "" && b.TerminalID != c.term.rec.ID {
		c.reply(protocol.Errorf(protocol.CodeNotFound, m.ID, "no such appointment"))
		return
	}
	if slot, err := booking.Parse(b.Slot); err == nil && !h.opt.Now().Before(slot.Start(h.opt.Appointments.Rules.Loc())) {
		c.reply(protocol.Errorf(protocol.CodeSlotPast, m.ID, "the appointment at %s has begun; it can no longer be cancelled", b.Slot))
		return
	}
	b, err = h.st.cancelBooking(id)
	if errors.Is(err, ErrNotFound) {
		c.reply(protocol.Errorf(protocol.CodeNotFound, m.ID, "no such appointment"))
		return
	}
	if err != nil {
		c.storageBusy(m.ID, err)
		return
	}
	c.log.Info("appointment cancelled", "booking", b.ID, "item", b.Item, "slot", b.Slot)
	c.sendMsg(&protocol.BookingCancelled{ID: m.ID, BookingID: b.ID, Item: b.Item, Slot: b.Slot})
}

// DefaultBookingHold is how long a place booked for a visit is held for its
// submission when Appointments.Hold is not set.
const DefaultBookingHold = 15 * time.Minute
