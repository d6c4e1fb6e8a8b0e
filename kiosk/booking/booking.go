// Package booking is counter appointments (预约) as the kiosk and the hub both see them:
// half-day slots of a service item in a hall, the 14-day window residents may book in,
// and the delivery choice of an item's result (到窗口领取 / 邮寄到家). It is pure data and
// rules: the hub keeps the bookings and enforces capacity; the kiosk shows the calendar.
//
// It must never hold personal data: a booking names a slot and a submission, not a person.
package booking

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Half is a half-day: the morning or the afternoon counter session.
type Half string

// The two halves of a working day.
const (
	AM Half = "am"
	PM Half = "pm"
)

// WindowDays is how many days ahead, today included, residents may book.
const WindowDays = 14

// Errors a booking is refused with, where callers branch.
var (
	// ErrFull is a slot whose capacity is taken.
	ErrFull = errors.New("booking: the slot is full")
	// ErrPast is a slot that has already begun.
	ErrPast = errors.New("booking: the slot is in the past")
	// ErrUnavailable is a slot outside the window or on a day without counter service.
	ErrUnavailable = errors.New("booking: no counter service in that slot")
	// ErrFormat is a slot that cannot be read.
	ErrFormat = errors.New("booking: not a slot")
)

// Start and end of each half-day, as hours and minutes in the hall's time.
var hours = map[Half][4]int{AM: {9, 0, 12, 0}, PM: {13, 30, 17, 0}}

// Slot is one half-day of one date.
type Slot struct {
	// Date is the day, "2006-01-02" in the hall's time.
	Date string
	Half Half
}

// String is the slot's key, "2026-12-05/am".
func (s Slot) String() string { return s.Date + "/" + string(s.Half) }

// Parse reads a slot key.
func Parse(key string) (Slot, error) {
	d, h, ok := strings.Cut(key, "/")
	s := Slot{Date: d, Half: Half(h)}
	if !ok {
		return Slot{}, fmt.Errorf("%w: %q", ErrFormat, key)
	}
	return s, s.Check()
}

// Check reports whether the slot is well formed.
func (s Slot) Check() error {
	if _, err := time.Parse(time.DateOnly, s.Date); err != nil {
		return fmt.Errorf("%w: date %q", ErrFormat, s.Date)
	}
	if s.Half != AM && s.Half != PM {
		return fmt.Errorf("%w: half %q", ErrFormat, s.Half)
	}
	return nil
}

// Start is when the slot begins, in loc.
func (s Slot) Start(loc *time.Location) time.Time {
	d, _ := time.ParseInLocation(time.DateOnly, s.Date, loc)
	h := hours[s.Half]
	return d.Add(time.Duration(h[0])*time.Hour + time.Duration(h[1])*time.Minute)
}

// End is when the slot ends, in loc.
func (s Slot) End(loc *time.Location) time.Time {
	d, _ := time.ParseInLocation(time.DateOnly, s.Date, loc)
	h := hours[s.Half]
	return d.Add(time.Duration(h[2])*time.Hour + time.Duration(h[3])*time.Minute)
}

// Hours is the slot's time of day, "09:00–12:00".
func (s Slot) Hours() string {
	h := hours[s.Half]
	return fmt.Sprintf("%02d:%02d–%02d:%02d", h[0], h[1], h[2], h[3])
}

// Rules say which slots exist: the hall's time zone and the weekdays without counter
// service. The zero Rules are China Standard Time, closed Saturday and Sunday.
type Rules struct {
	Location *time.Location
	// Closed are the weekdays without counter service; nil means Saturday and Sunday.
	Closed []time.Weekday
}

// CST is China Standard Time, UTC+8 without daylight saving.
var CST = time.FixedZone("CST", 8*3600)

func (r Rules) loc() *time.Location {
	if r.Location == nil {
		return CST
	}
	return r.Location
}

// Loc is the hall's time zone.
func (r Rules) Loc() *time.Location { return r.loc() }

func (r Rules) closed(d time.Weekday) bool {
	cl := r.Closed
	if cl == nil {
		cl = []time.Weekday{time.Saturday, time.Sunday}
	}
	for _, c := range cl {
		if c == d {
			return true
		}
	}
	return false
}

// Window returns the dates residents may book now: today and the next WindowDays-1
// days, in the hall's time.
func (r Rules) Window(now time.Time) []string {
	t := now.In(r.loc())
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, r.loc())
	out := make([]string, WindowDays)
	for i := range out {
		out[i] = day.AddDate(0, 0, i).Format(time.DateOnly)
	}
	return out
}

// Open reports whether the day has counter service.
func (r Rules) Open(date string) bool {
	d, err := time.ParseInLocation(time.DateOnly, date, r.loc())
	return err == nil && !r.closed(d.Weekday())
}

// Bookable says whether a resident may book the slot at now (capacity aside): ErrPast
// once it has begun, ErrUnavailable outside the window or on a closed day.
func (r Rules) Bookable(s Slot, now time.Time) error {
	if err := s.Check(); err != nil {
		return err
	}
	if !now.Before(s.Start(r.loc())) {
		return fmt.Errorf("%w: %s began at %s", ErrPast, s, s.Start(r.loc()).Format("2006-01-02 15:04"))
	}
	w := r.Window(now)
	if s.Date > w[len(w)-1] {
		return fmt.Errorf("%w: %s is more than %d days ahead", ErrUnavailable, s, WindowDays)
	}
	if !r.Open(s.Date) {
		return fmt.Errorf("%w: no counter service on %s", ErrUnavailable, s.Date)
	}
	return nil
}

// Free is one slot on the calendar: how many places it has and how many are taken.
type Free struct {
	Slot     Slot
	Capacity int
	Booked   int
	// Closed is a slot that cannot be booked (a closed day, or begun already).
	Closed bool
}

// Left is how many places remain.
func (f Free) Left() int { return max(f.Capacity-f.Booked, 0) }

// Bookable reports whether a resident may take the slot.
func (f Free) Bookable() bool { return !f.Closed && f.Left() > 0 }

// Booking is a confirmed booking.
type Booking struct {
	// ID is the booking's id: the id of the submission it belongs to.
	ID   string
	Item string
	Slot Slot
	// Hall names the hall the counter is in, as the hub knows it.
	Hall string
}

// Delivery is how the resident receives the result.
type Delivery string

// Delivery methods.
const (
	Counter Delivery = "counter" // 到窗口领取
	Post    Delivery = "post"    // 邮寄到家
)

// MinAddress and MaxAddress bound a postal address in characters.
const (
	MinAddress = 6
	MaxAddress = 120
)

// ErrAddress is a postal address too short or too long to post to.
var ErrAddress = errors.New("booking: postal address incomplete")

// CheckAddress reports whether an address can be posted to.
func CheckAddress(a string) error {
	n := len([]rune(strings.TrimSpace(a)))
	if n < MinAddress || n > MaxAddress {
		return fmt.Errorf("%w: %d characters, want %d to %d", ErrAddress, n, MinAddress, MaxAddress)
	}
	return nil
}
