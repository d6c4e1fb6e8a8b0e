package hub

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/booking"
)

// The operators' appointment calendar: the console sets a half-day's capacity for a hall
// and item, and marks the days a hall is closed (holidays: no slots at all). What the
// -appointments file configures stays the default; a setting replaces it for its
// half-day. Bad input is refused with a reason that names it.

// MaxSlotCapacity is the most places an operator may give one half-day.
const MaxSlotCapacity = 1000

// appointmentHalls lists the halls the hub knows: where terminals are placed, and the
// halls the appointments configuration names.
func (h *Hub) appointmentHalls() []string {
	seen := map[string]bool{}
	for _, p := range h.placementsCopy() {
		if p.Site != "" {
			seen[p.Site] = true
		}
	}
	if ap := h.opt.Appointments; ap != nil {
		for hall := range ap.Halls {
			if hall != "" {
				seen[hall] = true
			}
		}
	}
	return keys(seen)
}

// appointmentItems lists the items residents may book: those the configuration names,
// and with a default capacity the published catalog's appointment items.
func (h *Hub) appointmentItems() []string {
	seen := map[string]bool{}
	ap := h.opt.Appointments
	if ap == nil {
		return nil
	}
	for it := range ap.Items {
		seen[it] = true
	}
	for _, m := range ap.Halls {
		for it := range m {
			seen[it] = true
		}
	}
	h.catalogIssues("") // parses the published catalog, if any
	h.certCat.mu.Lock()
	if c := h.certCat.cat; c != nil {
		for _, it := range c.Items {
			if it.Appointment {
				seen[it.ID] = true
			}
		}
	}
	h.certCat.mu.Unlock()
	return keys(seen)
}

func (h *Hub) checkHallItem(hall, item string, needItem bool) error {
	if h.opt.Appointments == nil {
		return fmt.Errorf("%w: this hub books no counter appointments", ErrInvalid)
	}
	if hall == "" {
		return fmt.Errorf("%w: choose a hall", ErrInvalid)
	}
	if !slices.Contains(h.appointmentHalls(), hall) {
		return fmt.Errorf("%w: unknown hall %q (no terminal is placed there and the appointments configuration does not name it)", ErrInvalid, hall)
	}
	if !needItem {
		return nil
	}
	if item == "" {
		return fmt.Errorf("%w: choose an item", ErrInvalid)
	}
	if !slices.Contains(h.appointmentItems(), item) {
		return fmt.Errorf("%w: unknown item %q (not an appointment item of the catalog or the configuration)", ErrInvalid, item)
	}
	return nil
}

// SetSlotCapacity sets the places of one half-day ("2006-01-02/am") of an item at a
// hall. capacity < 0 removes the setting. Refused (ErrInvalid) for an unknown hall or
// item, a malformed or begun half-day, or more than MaxSlotCapacity; refused with
// *BookedError, the bookings kept, below the places booked already.
func (h *Hub) SetSlotCapacity(hall, item, slot string, capacity int) error {
	if err := h.checkHallItem(hall, item, true); err != nil {
		return err
	}
	s, err := booking.Parse(slot)
	if err != nil {
		return fmt.Errorf("%w: %q is not a half-day (want YYYY-MM-DD/am or /pm)", ErrInvalid, slot)
	}
	if now := h.opt.Now(); !now.Before(s.Start(h.opt.Appointments.Rules.Loc())) {
		return fmt.Errorf("%w: %s is in the past (it began %s)", ErrInvalid, s, s.Start(h.opt.Appointments.Rules.Loc()).Format("2006-01-02 15:04"))
	}
	if capacity > MaxSlotCapacity {
		return fmt.Errorf("%w: at most %d places per half-day", ErrInvalid, MaxSlotCapacity)
	}
	return h.st.setSlotCapacity(hall, item, s.String(), capacity, h.opt.Now())
}

// SetHoliday closes a hall on a date (or opens it again): no slots that day for any
// item. Refused (ErrInvalid) for an unknown hall or a malformed or past date; refused
// with *BookedError, the bookings kept, when the day has bookings.
func (h *Hub) SetHoliday(hall, date string, closed bool) error {
	if err := h.checkHallItem(hall, "", false); err != nil {
		return err
	}
	loc := h.opt.Appointments.Rules.Loc()
	d, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		return fmt.Errorf("%w: %q is not a date (want YYYY-MM-DD)", ErrInvalid, date)
	}
	if today := h.opt.Now().In(loc).Format(time.DateOnly); d.Format(time.DateOnly) < today {
		return fmt.Errorf("%w: %s is in the past", ErrInvalid, date)
	}
	return h.st.setHoliday(hall, d.Format(time.DateOnly), closed, h.opt.Now())
}

// SlotView is one half-day of a hall's item on the console's calendar.
type SlotView struct {
	Slot     string
	Capacity int
	// Set is whether an operator set the capacity (else the configuration's).
	Set     bool
	Booked  int
	Holiday bool
	// Closed is a slot residents cannot book (begun, a closed weekday, a holiday).
	Closed bool
}

// effective applies the operators' settings to a slot's configured capacity.
func effective(caps map[string]int, holidays map[string]bool, hall, item, slot string, capacity int) (int, bool, bool) {
	holiday := holidays[string(holidayKey(hall, slotDay(slot)))]
	if n, ok := caps[string(slotKey(hall, item, slot))]; ok {
		return n, true, holiday
	}
	return capacity, false, holiday
}

// AppointmentCalendar is the 14-day calendar of an item at a hall, as residents see it,
// with what operators set.
func (h *Hub) AppointmentCalendar(hall, item string) ([]SlotView, error) {
	if err := h.checkHallItem(hall, item, true); err != nil {
		return nil, err
	}
	ap := h.opt.Appointments
	now := h.opt.Now()
	dates := ap.Rules.Window(now)
	counts, err := h.st.slotCounts(hall, item, dates, now)
	if err != nil {
		return nil, err
	}
	caps, holidays, err := h.st.slotRules()
	if err != nil {
		return nil, err
	}
	var out []SlotView
	for _, d := range dates {
		for _, half := range []booking.Half{booking.AM, booking.PM} {
			s := booking.Slot{Date: d, Half: half}
			c, set, holiday := effective(caps, holidays, hall, item, s.String(), ap.capacity(hall, item))
			out = append(out, SlotView{Slot: s.String(), Capacity: c, Set: set, Booked: counts[s.String()], Holiday: holiday,
				Closed: holiday || c == 0 || ap.Rules.Bookable(s, now) != nil})
		}
	}
	return out, nil
}

// Holidays lists a hall's holidays from today on.
func (h *Hub) Holidays(hall string) ([]string, error) {
	_, holidays, err := h.st.slotRules()
	if err != nil {
		return nil, err
	}
	today := h.opt.Now().Format(time.DateOnly)
	if ap := h.opt.Appointments; ap != nil {
		today = h.opt.Now().In(ap.Rules.Loc()).Format(time.DateOnly)
	}
	var out []string
	for k := range holidays {
		if hl, d, ok := strings.Cut(k, "\x00"); ok && hl == hall && d >= today {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out, nil
}

// parseCapacity reads the console's capacity field: a number, or empty to remove the
// setting.
func parseCapacity(v string) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: capacity %q is not a number of places (0 or more; empty removes the setting)", ErrInvalid, v)
	}
	return n, nil
}

// slotRuleError is what the console says when a change is refused.
func slotRuleError(err error) string {
	var be *BookedError
	switch {
	case errors.As(err, &be):
		return fmt.Sprintf("Refused: %d place(s) of %s are booked already and are kept. Set at least %d, or ask the residents to cancel first.", be.Booked, be.What, be.Booked)
	case errors.Is(err, ErrInvalid):
		return "Refused: " + strings.TrimPrefix(strings.TrimPrefix(err.Error(), ErrInvalid.Error()), ": ")
	}
	return "Not saved: the hub's storage did not answer; try again."
}

// appointmentsPage fills the console's appointments page for a hall and item.
func (h *Hub) appointmentsPage(pg *consolePage, hall, item string) {
	pg.Title, pg.Nav = "Appointments", "appointments"
	d := map[string]any{"Halls": h.appointmentHalls(), "Items": h.appointmentItems(), "Hall": hall, "Item": item}
	if h.opt.Appointments == nil {
		pg.Error = "This hub books no counter appointments (start it with -appointments FILE)."
	}
	hallErr := h.checkHallItem(hall, "", false)
	if hall != "" && hallErr != nil && h.opt.Appointments != nil {
		pg.Error = slotRuleError(hallErr)
	}
	if hall != "" && hallErr == nil {
		hs, err := h.Holidays(hall)
		if err != nil {
			pg.Error = "The holidays cannot be read now."
		}
		d["Holidays"] = hs
		if item != "" {
			cal, err := h.AppointmentCalendar(hall, item)
			if err != nil && pg.Error == "" {
				pg.Error = slotRuleError(err)
			}
			d["Calendar"] = cal
			d["Configured"] = h.opt.Appointments.capacity(hall, item)
		}
	} else {
		d["Hall"] = ""
	}
	pg.Data = d
}

func (h *Hub) serveConsoleAppointments(w http.ResponseWriter, r *http.Request, pg consolePage) {
	q := r.URL.Query()
	h.appointmentsPage(&pg, q.Get("hall"), q.Get("item"))
	h.renderConsole(w, http.StatusOK, "appointments", pg)
}

// consoleSlotRuleDone answers a change: back to the page with what was done, or the
// page again with the reason it was refused.
func (h *Hub) consoleSlotRuleDone(w http.ResponseWriter, r *http.Request, pg consolePage, hall, item, done string, err error) {
	if err != nil {
		status := http.StatusBadRequest
		var be *BookedError
		switch {
		case errors.As(err, &be):
			status = http.StatusConflict
		case !errors.Is(err, ErrInvalid):
			status = http.StatusServiceUnavailable
			h.log.Warn("appointments change not saved", "err", err)
		}
		h.appointmentsPage(&pg, hall, item)
		pg.Error = slotRuleError(err)
		h.renderConsole(w, status, "appointments", pg)
		return
	}
	v := url.Values{"hall": {hall}, "item": {item}, "done": {done}}
	http.Redirect(w, r, "/console/appointments?"+v.Encode(), http.StatusSeeOther)
}

func (h *Hub) serveConsoleSlotCapacity(w http.ResponseWriter, r *http.Request, pg consolePage) {
	hall, item, slot := r.PostFormValue("hall"), r.PostFormValue("item"), strings.TrimSpace(r.PostFormValue("slot"))
	n, err := parseCapacity(r.PostFormValue("capacity"))
	if err == nil {
		err = h.SetSlotCapacity(hall, item, slot, n)
	}
	done := fmt.Sprintf("%s: %d places", slot, n)
	if n < 0 {
		done = slot + ": back to the configured places"
	}
	h.consoleSlotRuleDone(w, r, pg, hall, item, done, err)
}

func (h *Hub) serveConsoleHoliday(w http.ResponseWriter, r *http.Request, pg consolePage) {
	hall, item, date := r.PostFormValue("hall"), r.PostFormValue("item"), strings.TrimSpace(r.PostFormValue("date"))
	closed := r.PostFormValue("closed") == "1"
	err := h.SetHoliday(hall, date, closed)
	done := date + " is a holiday: no slots"
	if !closed {
		done = date + " is open again"
	}
	h.consoleSlotRuleDone(w, r, pg, hall, item, done, err)
}
