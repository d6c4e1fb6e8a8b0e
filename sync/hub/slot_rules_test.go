package hub

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/govkiosk/govkiosk/kiosk/booking"
)

// thursdayCST is 10:00 on Thursday 3 December 2026 in Beijing: this morning has begun.
var thursdayCST = time.Date(2026, 12, 3, 10, 0, 0, 0, booking.CST)

func appointmentsHub(t *testing.T) (*testHub, map[Role]string) {
	t.Helper()
	th, secrets := opHub(t, Options{Now: func() time.Time { return thursdayCST },
		Appointments: &Appointments{Items: map[string]int{"driving-renew": 2},
			Halls: map[string]map[string]int{"东城政务服务中心": {"marriage-appt": 1}}}})
	return th, secrets
}

// Bad input to the operators' calendar is refused with a reason naming it, and changes
// nothing.
func TestSlotRulesRefuseBadInput(t *testing.T) {
	th, _ := appointmentsHub(t)
	const hall = "东城政务服务中心"
	for _, tc := range []struct {
		name, hall, item, slot string
		capacity               int
		want                   string
	}{
		{"unknown hall", "西城", "driving-renew", "2026-12-04/am", 1, `unknown hall "西城"`},
		{"no hall", "", "driving-renew", "2026-12-04/am", 1, "choose a hall"},
		{"unknown item", hall, "no-such-item", "2026-12-04/am", 1, `unknown item "no-such-item"`},
		{"no item", hall, "", "2026-12-04/am", 1, "choose an item"},
		{"slot in the past", hall, "driving-renew", "2026-12-02/pm", 1, "2026-12-02/pm is in the past"},
		{"slot begun", hall, "driving-renew", "2026-12-03/am", 1, "is in the past (it began 2026-12-03 09:00)"},
		{"not a half-day", hall, "driving-renew", "2026-12-04/evening", 1, "is not a half-day"},
		{"too many places", hall, "driving-renew", "2026-12-04/am", MaxSlotCapacity + 1, "at most 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := th.SetSlotCapacity(tc.hall, tc.item, tc.slot, tc.capacity)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v; want ErrInvalid saying %q", err, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, hall, date, want string }{
		{"holiday unknown hall", "西城", "2026-12-08", `unknown hall "西城"`},
		{"holiday in the past", hall, "2026-12-02", "2026-12-02 is in the past"},
		{"holiday not a date", hall, "12/08/2026", "is not a date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := th.SetHoliday(tc.hall, tc.date, true)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v; want ErrInvalid saying %q", err, tc.want)
			}
		})
	}
	if _, err := parseCapacity("-3"); !errors.Is(err, ErrInvalid) {
		t.Errorf("capacity -3: %v", err)
	}
	if _, err := parseCapacity("two"); !errors.Is(err, ErrInvalid) {
		t.Errorf("capacity two: %v", err)
	}
	caps, hol, err := th.st.slotRules()
	if err != nil || len(caps) != 0 || len(hol) != 0 {
		t.Fatalf("something was stored: %v %v %v", caps, hol, err)
	}
	// Today, later this afternoon, is still settable; the hall named only in the
	// configuration is known.
	if err := th.SetSlotCapacity(hall, "marriage-appt", "2026-12-03/pm", 4); err != nil {
		t.Fatal(err)
	}
	if err := th.SetHoliday(hall, "2026-12-03", true); err != nil {
		t.Fatal(err)
	}
}

// TestConsoleAppointmentsInBrowser: an operator sets a half-day's places and marks a
// holiday on the console's appointments page in headless Chromium; a kiosk (a real
// client over loopback) sees the new places and the holiday closed on its calendar and
// cannot book it; a capacity below the bookings, a holiday over bookings and a
// half-day in the past are refused on the page with the reason, and the bookings are
// kept; a viewer sees the calendar without the forms.
func TestConsoleAppointmentsInBrowser(t *testing.T) {
	th, secrets := appointmentsHub(t)
	const hall = "东城政务服务中心"
	k, cr := startConsoleKiosk(t, th)
	if err := th.SetPlacement(cr.TerminalID, hall, "", "test"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "kiosk online", k.c.Online)
	friday := booking.Slot{Date: "2026-12-04", Half: booking.AM}
	if _, err := k.c.Book(t.Context(), "sub-1", "driving-renew", friday); err != nil {
		t.Fatal(err)
	}
	ctx, dir := browser(t)
	page := "http://" + th.addr + "/console/appointments?hall=" + hall + "&item=driving-renew"
	if err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("#signin")),
		chromedp.SendKeys(chromedp.CSS("#name"), "op-operator"),
		chromedp.SendKeys(chromedp.CSS("#secret"), secrets[RoleOperator]),
		chromedp.Click(chromedp.CSS("#signin-button")),
		chromedp.WaitVisible(chromedp.CSS("#calendar")),
	); err != nil {
		t.Fatal(err)
	}
	row := func(slot string) string { return fmt.Sprintf(`#calendar tr[data-slot="%s"]`, slot) }
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('`+row("2026-12-04/am")+`').dataset.booked === "1"`)); !ok {
		t.Fatalf("the calendar does not show the kiosk's booking: %s", text(t, ctx, "#calendar"))
	}

	// Friday afternoon gets 1 place from the row's form.
	if err := chromedp.Do(ctx,
		clearAndType(row("2026-12-04/pm")+` input[name="capacity"]`, "1"),
		chromedp.Click(chromedp.CSS(row("2026-12-04/pm")+" .cap-save")),
		chromedp.WaitVisible(chromedp.CSS("#flash")),
	); err != nil {
		t.Fatal(err)
	}
	shot(t, ctx, dir, "appointments-1-capacity")
	cal, _, err := k.c.Slots(t.Context(), "driving-renew")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range cal {
		if f.Slot.String() == "2026-12-04/pm" && f.Capacity != 1 {
			t.Errorf("the kiosk sees %+v; want 1 place", f)
		}
	}

	// Below the bookings: refused with the reason, the booking kept.
	if err := chromedp.Do(ctx,
		clearAndType(row("2026-12-04/am")+` input[name="capacity"]`, "0"),
		chromedp.Click(chromedp.CSS(row("2026-12-04/am")+" .cap-save")),
		chromedp.WaitVisible(chromedp.CSS("#error")),
	); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "#error"); !strings.Contains(got, "1 place(s) of 2026-12-04/am are booked already and are kept") {
		t.Errorf("capacity under the bookings: %q", got)
	}
	shot(t, ctx, dir, "appointments-2-below-bookings")
	if b, err := th.st.bookingByID("sub-1"); err != nil || b == nil {
		t.Fatalf("the booking after the refused change: %+v %v", b, err)
	}

	// A half-day in the past, typed in the free form.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("#cap-form")),
		chromedp.SendKeys(chromedp.CSS("#c-slot"), "2026-12-03/am"),
		chromedp.SendKeys(chromedp.CSS("#c-capacity"), "5"),
		chromedp.Click(chromedp.CSS("#c-save")),
		chromedp.WaitVisible(chromedp.CSS("#error")),
	); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "#error"); !strings.Contains(got, "2026-12-03/am is in the past") {
		t.Errorf("a half-day in the past: %q", got)
	}

	// Tuesday becomes a holiday: the kiosk's calendar shows it closed, booking refused.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("#holiday-form")),
		chromedp.SendKeys(chromedp.CSS("#h-date"), "2026-12-08"),
		chromedp.Click(chromedp.CSS("#h-save")),
		chromedp.WaitVisible(chromedp.CSS("#flash")),
	); err != nil {
		t.Fatal(err)
	}
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('`+row("2026-12-08/am")+`').dataset.holiday === "true" && document.querySelector('#holidays tr[data-date="2026-12-08"]') !== null`)); !ok {
		t.Errorf("the page does not show the holiday: %s", text(t, ctx, "main"))
	}
	shot(t, ctx, dir, "appointments-3-holiday")
	cal, _, err = k.c.Slots(t.Context(), "driving-renew")
	if err != nil {
		t.Fatal(err)
	}
	closed := 0
	for _, f := range cal {
		if f.Slot.Date == "2026-12-08" {
			if !f.Closed || f.Bookable() {
				t.Errorf("the kiosk sees the holiday as %+v; want closed", f)
			}
			closed++
		}
	}
	if closed != 2 {
		t.Errorf("%d half-days of the holiday on the kiosk's calendar, want 2", closed)
	}
	if _, err := k.c.Book(t.Context(), "sub-2", "driving-renew", booking.Slot{Date: "2026-12-08", Half: booking.PM}); !errors.Is(err, booking.ErrUnavailable) {
		t.Errorf("booking the holiday: %v, want ErrUnavailable", err)
	}

	// A holiday over Friday's booking is refused.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("#holiday-form")),
		chromedp.SendKeys(chromedp.CSS("#h-date"), "2026-12-04"),
		chromedp.Click(chromedp.CSS("#h-save")),
		chromedp.WaitVisible(chromedp.CSS("#error")),
	); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "#error"); !strings.Contains(got, "of 2026-12-04 are booked already") {
		t.Errorf("a holiday over bookings: %q", got)
	}

	// Open Tuesday again.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS(`#holidays tr[data-date="2026-12-08"] .open-again`)),
		chromedp.Click(chromedp.CSS(`#holidays tr[data-date="2026-12-08"] .open-again`)),
		chromedp.WaitVisible(chromedp.CSS("#flash")),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := k.c.Book(t.Context(), "sub-2", "driving-renew", booking.Slot{Date: "2026-12-08", Half: booking.PM}); err != nil {
		t.Errorf("booking the day opened again: %v", err)
	}

	// An unknown item named in the address.
	if err := chromedp.Do(ctx,
		chromedp.Navigate("http://"+th.addr+"/console/appointments?hall="+hall+"&item=no-such-item"),
		chromedp.WaitVisible(chromedp.CSS("#error")),
	); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "#error"); !strings.Contains(got, `unknown item "no-such-item"`) {
		t.Errorf("an unknown item: %q", got)
	}

	// A viewer sees the calendar, not the forms.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#signout")),
		chromedp.WaitVisible(chromedp.CSS("#signin")),
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("#signin")),
		chromedp.SendKeys(chromedp.CSS("#name"), "op-viewer"),
		chromedp.SendKeys(chromedp.CSS("#secret"), secrets[RoleViewer]),
		chromedp.Click(chromedp.CSS("#signin-button")),
		chromedp.WaitVisible(chromedp.CSS("#calendar")),
	); err != nil {
		t.Fatal(err)
	}
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#holiday-form') === null && document.querySelector('.cap-save') === null`)); !ok {
		t.Error("a viewer is offered the forms")
	}

	entries, _ := th.AuditLog(0, 200)
	var actions []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "appointments.") {
			actions = append(actions, fmt.Sprintf("%s/%d", e.Action, e.Status))
		}
	}
	want := "appointments.capacity/303 appointments.capacity/409 appointments.capacity/400 appointments.holiday/303 appointments.holiday/409 appointments.holiday/303"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("audited\n %s\nwant\n %s", got, want)
	}
}
