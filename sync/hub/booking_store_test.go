package hub

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// storeNow is the clock of the storage booking tests.
var storeNow = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func bookingRec(id, slot string) *bookingRecord {
	return &bookingRecord{ID: id, TerminalID: "t-1", Hall: "hall-a", Item: "driving-renew", Slot: slot,
		CreatedAt: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
}

// Concurrent bookers of one slot on both stores: exactly capacity of them get a place,
// the rest ErrSlotFull; the count says capacity; a cancel frees one place for the next.
func TestStorageBookingNeverOverCapacity(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		const capacity, bookers = 5, 40
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, full := 0, 0
		for i := range bookers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, existed, err := st.book(bookingRec(fmt.Sprintf("sub-%d", i), "2026-12-04/am"), capacity, storeNow)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && !existed:
					ok++
				case errors.Is(err, ErrSlotFull):
					full++
				default:
					t.Errorf("booker %d: existed=%v err=%v", i, existed, err)
				}
			}()
		}
		wg.Wait()
		if ok != capacity || full != bookers-capacity {
			t.Fatalf("%d booked, %d refused full; want %d and %d", ok, full, capacity, bookers-capacity)
		}
		counts, err := st.slotCounts("hall-a", "driving-renew", []string{"2026-12-04", "2026-12-05"}, storeNow)
		if err != nil || counts["2026-12-04/am"] != capacity || len(counts) != 1 {
			t.Fatalf("counts %v %v", counts, err)
		}
		// Another item, hall or half-day is another slot.
		other := bookingRec("sub-other", "2026-12-04/pm")
		if _, _, err := st.book(other, capacity, storeNow); err != nil {
			t.Fatal(err)
		}
		// A repeat of a stored booking takes no second place, even in a full slot.
		var booked string
		for i := range bookers {
			if b, _ := st.bookingByID(fmt.Sprintf("sub-%d", i)); b != nil {
				booked = b.ID
				break
			}
		}
		if got, existed, err := st.book(bookingRec(booked, "2026-12-04/am"), capacity, storeNow); err != nil || !existed || got.ID != booked {
			t.Fatalf("repeat: %+v %v %v", got, existed, err)
		}
		if _, err := st.cancelBooking(booked); err != nil {
			t.Fatal(err)
		}
		if _, err := st.cancelBooking(booked); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second cancel: %v, want ErrNotFound", err)
		}
		if b, err := st.bookingByID(booked); err != nil || b != nil {
			t.Fatalf("cancelled booking still there: %+v %v", b, err)
		}
		if _, _, err := st.book(bookingRec("sub-late", "2026-12-04/am"), capacity, storeNow); err != nil {
			t.Fatalf("the freed place was not bookable: %v", err)
		}
		if _, _, err := st.book(bookingRec("sub-later", "2026-12-04/am"), capacity, storeNow); !errors.Is(err, ErrSlotFull) {
			t.Fatalf("booked beyond capacity after the cancel: %v", err)
		}
		counts, _ = st.slotCounts("hall-a", "driving-renew", []string{"2026-12-04"}, storeNow)
		if counts["2026-12-04/am"] != capacity || counts["2026-12-04/pm"] != 1 {
			t.Fatalf("counts after cancel and rebook %v", counts)
		}
	})
}

// Held places run out on both stores: a hold past its time takes no place in the
// counts, and the next booking of the slot frees it in its own transaction; a hold
// confirmed in time (even past its time, while nobody took the place) is kept for good;
// a freed hold cannot be confirmed; concurrent bookers never see a freed place twice.
func TestStorageBookingHoldsRunOut(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		const slot = "2026-12-04/am"
		held := func(id string, until time.Duration) *bookingRecord {
			r := bookingRec(id, slot)
			r.HeldUntil = storeNow.Add(until)
			return r
		}
		count := func(now time.Time) int {
			t.Helper()
			c, err := st.slotCounts("hall-a", "driving-renew", []string{"2026-12-04"}, now)
			if err != nil {
				t.Fatal(err)
			}
			return c[slot]
		}
		// Three places: a confirmed booking, a hold that is confirmed late, a hold
		// that is lost (its kiosk lost power).
		if _, _, err := st.book(bookingRec("sub-kept", slot), 3, storeNow); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"sub-late", "sub-lost"} {
			if _, _, err := st.book(held(id, 15*time.Minute), 3, storeNow); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := st.book(held("sub-x", 15*time.Minute), 3, storeNow); !errors.Is(err, ErrSlotFull) {
			t.Fatalf("a fourth place while held: %v, want ErrSlotFull", err)
		}
		if n := count(storeNow); n != 3 {
			t.Fatalf("counted %d while held, want 3", n)
		}
		later := storeNow.Add(time.Hour)
		if n := count(later); n != 1 {
			t.Fatalf("counted %d after both holds ran out, want 1 (the confirmed one)", n)
		}
		// Nobody took sub-late's place yet: confirming it late keeps it.
		got, err := st.confirmBooking("sub-late")
		if err != nil || !got.HeldUntil.IsZero() || got.Slot != slot {
			t.Fatalf("late confirm: %+v %v", got, err)
		}
		if again, err := st.confirmBooking("sub-late"); err != nil || again.ID != "sub-late" {
			t.Fatalf("second confirm: %+v %v", again, err)
		}
		if b, err := st.bookingByID("sub-late"); err != nil || b == nil || !b.HeldUntil.IsZero() {
			t.Fatalf("stored after confirm: %+v %v", b, err)
		}
		if n := count(later.Add(30 * 24 * time.Hour)); n != 2 {
			t.Fatalf("counted %d a month later, want the 2 confirmed", n)
		}
		// Concurrent bookers an hour later: sub-lost's place is freed exactly once.
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := st.book(bookingRec(fmt.Sprintf("sub-next-%d", i), slot), 3, later)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case !errors.Is(err, ErrSlotFull):
					t.Errorf("booker %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d bookers got the freed place, want 1", won)
		}
		if b, err := st.bookingByID("sub-lost"); err != nil || b != nil {
			t.Fatalf("the lost hold is still stored: %+v %v", b, err)
		}
		if _, err := st.confirmBooking("sub-lost"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("confirming a freed hold: %v, want ErrNotFound", err)
		}
		if n := count(later); n != 3 {
			t.Fatalf("counted %d, want 3", n)
		}
		// A confirmed booking is cancelled like any other, and frees its place.
		if _, err := st.cancelBooking("sub-late"); err != nil {
			t.Fatal(err)
		}
		if n := count(later); n != 2 {
			t.Fatalf("counted %d after a cancel, want 2", n)
		}
		// A cancelled hold leaves no hold behind to free a second time.
		if _, _, err := st.book(held("sub-h2", time.Minute), 3, later); err != nil {
			t.Fatal(err)
		}
		if _, err := st.cancelBooking("sub-h2"); err != nil {
			t.Fatal(err)
		}
		if n := count(later.Add(time.Hour)); n != 2 {
			t.Fatalf("counted %d after a cancelled hold's time, want 2", n)
		}
	})
}

// Operators' calendar changes on both stores: a half-day's capacity replaces the one
// the booking asks with, in the booking's transaction; lowering it below the bookings
// is refused and keeps them; a holiday closes the day and cannot be set over bookings;
// a holiday racing bookers never ends up with bookings on it.
func TestStorageSlotRules(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		const slot = "2026-12-04/pm"
		rec := func(id, s string) *bookingRecord { return bookingRec(id, s) }
		if err := st.setSlotCapacity("hall-a", "driving-renew", slot, 2, storeNow); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"r-1", "r-2"} {
			if _, _, err := st.book(rec(id, slot), 5, storeNow); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := st.book(rec("r-3", slot), 5, storeNow); !errors.Is(err, ErrSlotFull) {
			t.Fatalf("a third place with 2 set: %v, want ErrSlotFull", err)
		}
		var be *BookedError
		if err := st.setSlotCapacity("hall-a", "driving-renew", slot, 1, storeNow); !errors.As(err, &be) || be.Booked != 2 {
			t.Fatalf("capacity 1 under 2 bookings: %v, want *BookedError{2}", err)
		}
		for _, id := range []string{"r-1", "r-2"} {
			if b, err := st.bookingByID(id); err != nil || b == nil {
				t.Fatalf("booking %s after the refused change: %+v %v", id, b, err)
			}
		}
		if err := st.setSlotCapacity("hall-a", "driving-renew", slot, 3, storeNow); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.book(rec("r-3", slot), 0, storeNow); err != nil {
			t.Fatalf("a third place with 3 set (configured 0): %v", err)
		}
		if err := st.setSlotCapacity("hall-a", "driving-renew", slot, -1, storeNow); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.book(rec("r-4", slot), 3, storeNow); !errors.Is(err, ErrSlotFull) {
			t.Fatalf("back to the configured 3: %v, want ErrSlotFull", err)
		}
		caps, _, err := st.slotRules()
		if err != nil || len(caps) != 0 {
			t.Fatalf("settings after removing: %v %v", caps, err)
		}

		// Holidays.
		if err := st.setHoliday("hall-a", "2026-12-04", true, storeNow); !errors.As(err, &be) || be.Booked != 3 {
			t.Fatalf("a holiday over 3 bookings: %v, want *BookedError{3}", err)
		}
		if err := st.setHoliday("hall-a", "2026-12-08", true, storeNow); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.book(rec("r-5", "2026-12-08/am"), 3, storeNow); !errors.Is(err, ErrSlotClosed) {
			t.Fatalf("booking a holiday: %v, want ErrSlotClosed", err)
		}
		other := rec("r-6", "2026-12-08/am")
		other.Hall = "hall-b"
		if _, _, err := st.book(other, 3, storeNow); err != nil {
			t.Fatalf("another hall that day: %v", err)
		}
		_, hol, err := st.slotRules()
		if err != nil || len(hol) != 1 || !hol["hall-a\x002026-12-08"] {
			t.Fatalf("holidays %v %v", hol, err)
		}
		if err := st.setHoliday("hall-a", "2026-12-08", false, storeNow); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.book(rec("r-5", "2026-12-08/am"), 3, storeNow); err != nil {
			t.Fatalf("the day opened again: %v", err)
		}
		// A hold that ran out does not stop a holiday.
		h := rec("r-held", "2026-12-09/am")
		h.HeldUntil = storeNow.Add(time.Minute)
		if _, _, err := st.book(h, 3, storeNow); err != nil {
			t.Fatal(err)
		}
		if err := st.setHoliday("hall-a", "2026-12-09", true, storeNow.Add(time.Hour)); err != nil {
			t.Fatalf("a holiday over a run-out hold: %v", err)
		}

		// A holiday set while bookers race for the day: either it is refused or the day
		// has no bookings.
		var wg sync.WaitGroup
		var holidayErr error
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i == 6 {
					holidayErr = st.setHoliday("hall-a", "2026-12-10", true, storeNow)
					return
				}
				half := []string{"am", "pm"}[i%2]
				_, _, err := st.book(rec(fmt.Sprintf("race-%d", i), "2026-12-10/"+half), 20, storeNow)
				if err != nil && !errors.Is(err, ErrSlotClosed) {
					t.Errorf("booker %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		counts, err := st.slotCounts("hall-a", "driving-renew", []string{"2026-12-10"}, storeNow)
		if err != nil {
			t.Fatal(err)
		}
		booked := counts["2026-12-10/am"] + counts["2026-12-10/pm"]
		if holidayErr == nil && booked != 0 {
			t.Fatalf("a holiday with %d bookings on it", booked)
		}
		if holidayErr != nil && (!errors.As(holidayErr, &be) || booked == 0) {
			t.Fatalf("holiday refused with %v, %d booked", holidayErr, booked)
		}
	})
}
