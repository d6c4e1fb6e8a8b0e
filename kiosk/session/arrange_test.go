package session

import (
	"errors"
	"testing"

	"github.com/govkiosk/govkiosk/kiosk/booking"
)

// A service with an appointment and post gets the arrangements step after the last
// application step; the booking and the postal address travel in the draft with the id
// the booking was made for.
func TestArrangementsInTheDraft(t *testing.T) {
	s, _, _ := driveTo(t, StateArrange)
	id := s.SubmissionID()
	if id == "" || s.SubmissionID() != id {
		t.Fatal("the submission id is not kept for the visit")
	}
	b := booking.Booking{ID: id, Item: "booked", Slot: booking.Slot{Date: "2026-03-03", Half: booking.AM}}
	must(t, s.SetBooking(b))
	must(t, s.SetDelivery(booking.Post, "测试"))
	if err := s.ArrangeDone(); !errors.Is(err, booking.ErrAddress) || s.State() != StateArrange {
		t.Fatalf("a two-character address: %v at %s", err, s.State())
	}
	must(t, s.SetDelivery(booking.Post, " 测试省样例市示范路1号 "))
	must(t, s.ArrangeDone())
	must(t, s.Confirm())
	d, err := s.Draft()
	must(t, err)
	if d.ID != id || d.Booking == nil || *d.Booking != b || d.Delivery != booking.Post || d.Address != "测试省样例市示范路1号" {
		t.Fatalf("draft %+v", d)
	}
}

// Home with a place held asks first; leaving wipes the arrangements.
func TestArrangementsWiped(t *testing.T) {
	s, _, _ := driveTo(t, StateArrange)
	must(t, s.SetBooking(booking.Booking{ID: s.SubmissionID(), Item: "booked", Slot: booking.Slot{Date: "2026-03-03", Half: booking.PM}}))
	must(t, s.Home())
	if s.State() != StateConfirmHome {
		t.Fatalf("home with a booking went to %s without asking", s.State())
	}
	must(t, s.ConfirmHome())
	if _, ok := s.Booking(); ok {
		t.Fatal("the booking survived the visit")
	}
	if d, a := s.Delivery(); d != booking.Counter || a != "" {
		t.Fatalf("delivery %q %q survived", d, a)
	}
}

// Post is refused for a service whose result cannot be posted; the full service has
// no arrangements step.
func TestNoPostWhereNotAllowed(t *testing.T) {
	s, _, _ := driveTo(t, StateReview)
	if err := s.SetDelivery(booking.Post, "测试省样例市示范路1号"); err == nil {
		t.Fatal("delivery chosen outside the arrangements step")
	}
	must(t, s.Back())
	if s.State() != StateMaterials {
		t.Fatalf("back from review went to %s; the full service has no arrangements", s.State())
	}
}
