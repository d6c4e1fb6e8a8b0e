package session

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/govkiosk/govkiosk/kiosk/booking"
)

// Arrangements (StateArrange): the counter appointment the platform confirmed, and how
// the resident receives the result. Booking needs the platform; the UI asks it and hands
// the confirmed booking to SetBooking. Without a booking the visit goes on (offline, the
// screen says booking needs the network): the receipt then says to book later.

// ErrNoPost is SetDelivery(booking.Post) for a service whose result cannot be posted.
var ErrNoPost = errors.New("session: this service's result cannot be posted")

// SubmissionID is the id the visit's submission will have: a booking is made for it
// before it exists, so the booking follows the submission's tracking code. It is made on
// first use and kept for the visit.
func (s *Session) SubmissionID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subID == "" {
		var b [16]byte
		rand.Read(b[:])
		s.subID = "v-" + hex.EncodeToString(b[:])
	}
	return s.subID
}

// SetBooking records the booking the platform confirmed, at StateArrange.
func (s *Session) SetBooking(b booking.Booking) error {
	return s.do(func() error {
		if err := s.accept(EventArrange); err != nil {
			return err
		}
		if !s.svc.Appointment {
			return fmt.Errorf("session: %s books no appointment", s.svc.ID)
		}
		s.booking = &b
		s.lastActivity = s.now()
		return nil
	})
}

// DropBooking forgets the booking (the UI cancelled it at the platform).
func (s *Session) DropBooking() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.booking = nil
}

// Booking returns the visit's confirmed booking.
func (s *Session) Booking() (booking.Booking, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.booking == nil {
		return booking.Booking{}, false
	}
	return *s.booking, true
}

// SetDelivery chooses how the result is received, at StateArrange. The address is kept
// only with booking.Post; it is checked at ArrangeDone, so it can be typed bit by bit.
func (s *Session) SetDelivery(d booking.Delivery, address string) error {
	return s.do(func() error {
		if err := s.accept(EventArrange); err != nil {
			return err
		}
		switch d {
		case booking.Counter:
			address = ""
		case booking.Post:
			if !s.svc.Post {
				return ErrNoPost
			}
		default:
			return fmt.Errorf("session: delivery %q", d)
		}
		s.delivery, s.address = d, address
		s.lastActivity = s.now()
		return nil
	})
}

// Delivery returns the chosen delivery (booking.Counter until chosen) and the address.
func (s *Session) Delivery() (booking.Delivery, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.delivery == "" {
		return booking.Counter, ""
	}
	return s.delivery, s.address
}

// ArrangeDone goes on to review. Posting needs an address that can be posted to
// (an error matching booking.ErrAddress otherwise, and the session stays).
func (s *Session) ArrangeDone() error {
	return s.do(func() error {
		if err := s.accept(EventArrangeDone); err != nil {
			return err
		}
		if s.delivery == booking.Post {
			if err := booking.CheckAddress(s.address); err != nil {
				return fmt.Errorf("session: %w", err)
			}
			s.address = strings.TrimSpace(s.address)
		}
		s.enter(StateReview)
		return nil
	})
}

func (s *Session) dropArrangements() {
	s.booking, s.delivery, s.address, s.subID = nil, "", "", ""
}
