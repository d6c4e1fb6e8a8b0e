package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/booking"
	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/queue"
)

// thursday is 10:00 on Thursday 3 December 2026 in Beijing.
var thursday = time.Date(2026, 12, 3, 10, 0, 0, 0, booking.CST)

func onlineClient(t *testing.T, lh *liveHub) (*Client, *queue.Queue) {
	t.Helper()
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	opt := fast(cr, q)
	opt.Now = func() time.Time { return thursday }
	c := run(t, opt)
	waitFor(t, 5*time.Second, "online", c.Online)
	return c, q
}

// Terminals book a slot over loopback until it is full; the next resident sees it full
// and is refused; a cancel by tracking code at another terminal frees the place; a slot
// in the past and a closed day are refused; several terminals racing for the last
// places get exactly as many as there are.
func TestBookingOverTheHub(t *testing.T) {
	lh := startHub(t, hub.Options{Now: func() time.Time { return thursday },
		Appointments: &hub.Appointments{Items: map[string]int{"driving-renew": 2}}})
	ctx := context.Background()
	a, qa := onlineClient(t, lh)
	b, _ := onlineClient(t, lh)
	friday := booking.Slot{Date: "2026-12-04", Half: booking.AM}

	cal, _, err := a.Slots(ctx, "driving-renew")
	if err != nil {
		t.Fatal(err)
	}
	if len(cal) != 2*booking.WindowDays || cal[0].Slot.String() != "2026-12-03/am" || !cal[0].Closed || cal[1].Closed {
		t.Fatalf("calendar starts %+v %+v; want today's morning closed (begun), afternoon open", cal[0], cal[1])
	}
	for _, id := range []string{"sub-a1", "sub-a2"} {
		got, err := a.Book(ctx, id, "driving-renew", friday)
		if err != nil || got.Slot != friday || got.ID != id {
			t.Fatalf("book %s: %+v %v", id, got, err)
		}
	}
	cal, _, err = b.Slots(ctx, "driving-renew")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range cal {
		if f.Slot == friday && (f.Bookable() || f.Booked != 2 || f.Left() != 0) {
			t.Fatalf("the next resident sees %+v; want it full", f)
		}
	}
	if _, err := b.Book(ctx, "sub-b1", "driving-renew", friday); !errors.Is(err, booking.ErrFull) {
		t.Fatalf("booking a full slot: %v, want ErrFull", err)
	}
	if _, err := b.Book(ctx, "sub-b1", "driving-renew", booking.Slot{Date: "2026-12-03", Half: booking.AM}); !errors.Is(err, booking.ErrPast) {
		t.Fatalf("booking a slot that began: %v, want ErrPast", err)
	}
	if _, err := b.Book(ctx, "sub-b1", "driving-renew", booking.Slot{Date: "2026-12-05", Half: booking.AM}); !errors.Is(err, booking.ErrUnavailable) {
		t.Fatalf("booking a Saturday: %v, want ErrUnavailable", err)
	}
	if _, err := b.Book(ctx, "sub-b1", "marriage-reg", booking.Slot{Date: "2026-12-04", Half: booking.PM}); !errors.Is(err, booking.ErrUnavailable) {
		t.Fatalf("booking an item without appointments: %v, want ErrUnavailable", err)
	}

	// a's first resident leaves with a receipt: the submission, enqueued with the
	// booking's id, reaches the hub; at b, the tracking code cancels the appointment.
	sub := enqueue(t, qa, "sub-a1")
	waitFor(t, 10*time.Second, "submission delivered", func() bool { return delivered(qa) == 1 })
	got, err := b.CancelByTrackingCode(ctx, sub.TrackingCode)
	if err != nil || got.Slot != friday || got.ID != "sub-a1" {
		t.Fatalf("cancel by tracking code: %+v %v", got, err)
	}
	if _, err := b.CancelByTrackingCode(ctx, sub.TrackingCode); !errors.Is(err, ErrNoBooking) {
		t.Fatalf("second cancel: %v, want ErrNoBooking", err)
	}
	if _, err := b.Book(ctx, "sub-b1", "driving-renew", friday); err != nil {
		t.Fatalf("the freed place: %v", err)
	}
	// A terminal cannot cancel another's booking by its id.
	if _, err := b.CancelBooking(ctx, "sub-a2"); !errors.Is(err, ErrNoBooking) {
		t.Fatalf("cancel another terminal's booking by id: %v", err)
	}
	if _, err := a.CancelBooking(ctx, "sub-a2"); err != nil {
		t.Fatalf("cancel own booking by id: %v", err)
	}

	// Six terminals race for the two places of Monday afternoon.
	monday := booking.Slot{Date: "2026-12-07", Half: booking.PM}
	var clients []*Client
	for range 6 {
		c, _ := onlineClient(t, lh)
		clients = append(clients, c)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, full := 0, 0
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Book(ctx, fmt.Sprintf("sub-race-%d", i), "driving-renew", monday)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, booking.ErrFull):
				full++
			default:
				t.Errorf("racer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if won != 2 || full != 4 {
		t.Fatalf("%d won, %d refused full; want 2 and 4", won, full)
	}

	lh.Close()
	waitFor(t, 5*time.Second, "offline", func() bool { return !a.Online() })
	if _, _, err := a.Slots(ctx, "driving-renew"); !errors.Is(err, ErrOffline) {
		t.Fatalf("offline calendar: %v, want ErrOffline", err)
	}
}

// testClock is a hub clock the test moves on.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// A kiosk books the only place of a half-day and loses power before its resident
// submits: it never gives the place back. The hub (real bbolt, restarted meanwhile)
// holds the place only for a while; then the next resident gets it.
func TestBookingHoldExpiresAfterPowerLoss(t *testing.T) {
	clock := &testClock{now: thursday}
	lh := startHub(t, hub.Options{Now: clock.Now,
		Appointments: &hub.Appointments{Items: map[string]int{"driving-renew": 1}}})
	ctx := context.Background()
	friday := booking.Slot{Date: "2026-12-04", Half: booking.AM}

	// Kiosk a books, then dies: its client stops without a word to the hub.
	cr := lh.enroll(t)
	opt := fast(cr, openQueue(t, cr))
	a, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	actx, kill := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.Run(actx)
	}()
	waitFor(t, 5*time.Second, "a online", a.Online)
	if _, err := a.Book(ctx, "sub-lost", "driving-renew", friday); err != nil {
		t.Fatal(err)
	}
	kill()
	<-done

	lh = lh.restart(t)
	b, _ := onlineClient(t, lh)
	clock.advance(time.Minute)
	if _, err := b.Book(ctx, "sub-b1", "driving-renew", friday); !errors.Is(err, booking.ErrFull) {
		t.Fatalf("a minute after the power loss: %v, want the place still held (ErrFull)", err)
	}
	clock.advance(hub.DefaultBookingHold)
	cal, _, err := b.Slots(ctx, "driving-renew")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range cal {
		if f.Slot == friday && (f.Booked != 0 || !f.Bookable()) {
			t.Fatalf("after the hold ran out the calendar says %+v; want the place free", f)
		}
	}
	if _, err := b.Book(ctx, "sub-b1", "driving-renew", friday); err != nil {
		t.Fatalf("after the hold ran out: %v, want the place given to the next resident", err)
	}
	// The lost kiosk comes back and tries to keep the place it held: gone.
	if _, err := b.ConfirmBooking(ctx, "sub-lost"); !errors.Is(err, ErrNoBooking) {
		t.Fatalf("confirming a freed hold: %v, want ErrNoBooking", err)
	}

	// b's resident submits: the booking is confirmed before the receipt prints it,
	// and then it is never given back, however long the hub runs or restarts.
	got, err := b.ConfirmBooking(ctx, "sub-b1")
	if err != nil || got.Slot != friday || got.ID != "sub-b1" {
		t.Fatalf("confirm: %+v %v", got, err)
	}
	if again, err := b.ConfirmBooking(ctx, "sub-b1"); err != nil || again != got {
		t.Fatalf("confirming twice: %+v %v", again, err)
	}
	lh = lh.restart(t)
	c, _ := onlineClient(t, lh)
	clock.advance(20 * time.Hour) // Friday 06:00, the slot not begun yet
	if _, err := c.Book(ctx, "sub-c1", "driving-renew", friday); !errors.Is(err, booking.ErrFull) {
		t.Fatalf("a confirmed booking after 20 hours and a restart: %v, want the place still taken (ErrFull)", err)
	}
	if _, err := c.ConfirmBooking(ctx, "sub-b1"); !errors.Is(err, ErrNoBooking) {
		t.Fatalf("another terminal confirming b's booking: %v, want ErrNoBooking", err)
	}
}
