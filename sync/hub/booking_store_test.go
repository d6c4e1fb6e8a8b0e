package hub

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

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
				_, existed, err := st.book(bookingRec(fmt.Sprintf("sub-%d", i), "2026-12-04/am"), capacity)
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
		counts, err := st.slotCounts("hall-a", "driving-renew", []string{"2026-12-04", "2026-12-05"})
		if err != nil || counts["2026-12-04/am"] != capacity || len(counts) != 1 {
			t.Fatalf("counts %v %v", counts, err)
		}
		// Another item, hall or half-day is another slot.
		other := bookingRec("sub-other", "2026-12-04/pm")
		if _, _, err := st.book(other, capacity); err != nil {
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
		if got, existed, err := st.book(bookingRec(booked, "2026-12-04/am"), capacity); err != nil || !existed || got.ID != booked {
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
		if _, _, err := st.book(bookingRec("sub-late", "2026-12-04/am"), capacity); err != nil {
			t.Fatalf("the freed place was not bookable: %v", err)
		}
		if _, _, err := st.book(bookingRec("sub-later", "2026-12-04/am"), capacity); !errors.Is(err, ErrSlotFull) {
			t.Fatalf("booked beyond capacity after the cancel: %v", err)
		}
		counts, _ = st.slotCounts("hall-a", "driving-renew", []string{"2026-12-04"})
		if counts["2026-12-04/am"] != capacity || counts["2026-12-04/pm"] != 1 {
			t.Fatalf("counts after cancel and rebook %v", counts)
		}
	})
}
