package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/govkiosk/govkiosk/kiosk/booking"
	"github.com/govkiosk/govkiosk/kiosk/licence"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/ui"
)

// licenceSource asks the hub, through the sync client, which e-licences a resident
// holds. Before enrollment there is no client: that is offline, and the resident scans.
type licenceSource struct{ s *syncer }

func (l licenceSource) Licences(ctx context.Context, idNumber string, types []licence.Type) ([]licence.Licence, error) {
	c := l.s.client()
	if c == nil {
		return nil, client.ErrOffline
	}
	return c.Licences(ctx, idNumber, types)
}

// appointments books counter visits at the hub through the sync client; without a
// client (not enrolled) every call is offline.
type appointments struct{ s *syncer }

func (p appointments) c() (*client.Client, error) {
	c := p.s.client()
	if c == nil {
		return nil, client.ErrOffline
	}
	return c, nil
}

func (p appointments) Slots(ctx context.Context, item string) ([]booking.Free, string, error) {
	c, err := p.c()
	if err != nil {
		return nil, "", err
	}
	return c.Slots(ctx, item)
}

func (p appointments) Book(ctx context.Context, id, item string, slot booking.Slot) (booking.Booking, error) {
	c, err := p.c()
	if err != nil {
		return booking.Booking{}, err
	}
	return c.Book(ctx, id, item, slot)
}

func (p appointments) ConfirmBooking(ctx context.Context, id string) (booking.Booking, error) {
	c, err := p.c()
	if err != nil {
		return booking.Booking{}, err
	}
	return c.ConfirmBooking(ctx, id)
}

func (p appointments) CancelBooking(ctx context.Context, id string) (booking.Booking, error) {
	c, err := p.c()
	if err != nil {
		return booking.Booking{}, err
	}
	return c.CancelBooking(ctx, id)
}

func (p appointments) CancelByTrackingCode(ctx context.Context, code string) (booking.Booking, error) {
	c, err := p.c()
	if err != nil {
		return booking.Booking{}, err
	}
	b, err := c.CancelByTrackingCode(ctx, code)
	if errors.Is(err, client.ErrNoBooking) {
		return b, fmt.Errorf("%w: %w", ui.ErrNoBooking, err)
	}
	return b, err
}
