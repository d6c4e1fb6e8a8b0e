package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/govkiosk/govkiosk/kiosk/booking"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Counter appointments: the calendar, booking and cancelling ask the hub while the
// resident waits; offline they fail at once with ErrOffline (the screen says booking
// needs the network). Refusals map to booking.ErrFull, booking.ErrPast and
// booking.ErrUnavailable; a booking or tracking code the hub does not know is ErrNoBooking.

// ErrNoBooking is a cancellation of an appointment the hub does not hold.
var ErrNoBooking = errors.New("client: no such appointment")

func bookingError(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		switch pe.Code {
		case protocol.CodeSlotFull:
			return fmt.Errorf("%w: %w", booking.ErrFull, pe)
		case protocol.CodeSlotPast:
			return fmt.Errorf("%w: %w", booking.ErrPast, pe)
		case protocol.CodeSlotUnavailable:
			return fmt.Errorf("%w: %w", booking.ErrUnavailable, pe)
		case protocol.CodeNotFound:
			return fmt.Errorf("%w: %w", ErrNoBooking, pe)
		}
	}
	return err
}

// Slots returns the item's calendar in this terminal's hall: every half-day of the next
// booking.WindowDays days with its places, and the hall's name at the hub.
func (c *Client) Slots(ctx context.Context, item string) ([]booking.Free, string, error) {
	a, err := c.request(ctx, func(id string, _ []byte) (protocol.Message, error) {
		return &protocol.SlotsQuery{ID: id, Item: item}, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("client: slots: %w", bookingError(err))
	}
	s, ok := a.(*protocol.Slots)
	if !ok {
		return nil, "", fmt.Errorf("%w: slots answered with %s", ErrQueryRefused, a.MessageType())
	}
	out := make([]booking.Free, 0, len(s.Slots))
	for _, f := range s.Slots {
		slot, err := booking.Parse(f.Slot)
		if err != nil {
			return nil, "", fmt.Errorf("%w: %w", ErrQueryRefused, err)
		}
		out = append(out, booking.Free{Slot: slot, Capacity: f.Capacity, Booked: f.Booked, Closed: f.Closed})
	}
	return out, s.Hall, nil
}

// Book takes a place in slot for the submission bookingID (the id the submission will be
// enqueued with). Booking the same id again confirms the stored booking.
func (c *Client) Book(ctx context.Context, bookingID, item string, slot booking.Slot) (booking.Booking, error) {
	a, err := c.request(ctx, func(id string, _ []byte) (protocol.Message, error) {
		return &protocol.Book{ID: id, BookingID: bookingID, Item: item, Slot: slot.String()}, nil
	})
	if err != nil {
		return booking.Booking{}, fmt.Errorf("client: book: %w", bookingError(err))
	}
	b, ok := a.(*protocol.Booked)
	if !ok {
		return booking.Booking{}, fmt.Errorf("%w: book answered with %s", ErrQueryRefused, a.MessageType())
	}
	s, err := booking.Parse(b.Slot)
	if err != nil {
		return booking.Booking{}, fmt.Errorf("%w: %w", ErrQueryRefused, err)
	}
	return booking.Booking{ID: b.BookingID, Item: b.Item, Slot: s, Hall: b.Hall}, nil
}

// ConfirmBooking keeps the place this terminal booked for bookingID for good: the
// resident submitted. Until then the hub only holds it for a while. ErrNoBooking
// (wrapped) when the hold ran out and the place was given back.
func (c *Client) ConfirmBooking(ctx context.Context, bookingID string) (booking.Booking, error) {
	a, err := c.request(ctx, func(id string, _ []byte) (protocol.Message, error) {
		return &protocol.ConfirmBooking{ID: id, BookingID: bookingID}, nil
	})
	if err != nil {
		return booking.Booking{}, fmt.Errorf("client: confirm booking: %w", bookingError(err))
	}
	b, ok := a.(*protocol.Booked)
	if !ok {
		return booking.Booking{}, fmt.Errorf("%w: confirm answered with %s", ErrQueryRefused, a.MessageType())
	}
	s, err := booking.Parse(b.Slot)
	if err != nil {
		return booking.Booking{}, fmt.Errorf("%w: %w", ErrQueryRefused, err)
	}
	return booking.Booking{ID: b.BookingID, Item: b.Item, Slot: s, Hall: b.Hall}, nil
}

// CancelBooking gives back the place this terminal booked for bookingID.
func (c *Client) CancelBooking(ctx context.Context, bookingID string) (booking.Booking, error) {
	return c.cancel(ctx, &protocol.CancelBooking{BookingID: bookingID})
}

// CancelByTrackingCode gives back the place booked for the submission with the tracking
// code, made at any terminal.
func (c *Client) CancelByTrackingCode(ctx context.Context, code string) (booking.Booking, error) {
	return c.cancel(ctx, &protocol.CancelBooking{TrackingCode: code})
}

func (c *Client) cancel(ctx context.Context, m *protocol.CancelBooking) (booking.Booking, error) {
	a, err := c.request(ctx, func(id string, _ []byte) (protocol.Message, error) {
		m.ID = id
		return m, nil
	})
	if err != nil {
		return booking.Booking{}, fmt.Errorf("client: cancel booking: %w", bookingError(err))
	}
	b, ok := a.(*protocol.BookingCancelled)
	if !ok {
		return booking.Booking{}, fmt.Errorf("%w: cancel answered with %s", ErrQueryRefused, a.MessageType())
	}
	s, _ := booking.Parse(b.Slot)
	return booking.Booking{ID: b.BookingID, Item: b.Item, Slot: s}, nil
}
