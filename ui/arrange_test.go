package ui_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/ime/pinyin"
	"github.com/govkiosk/govkiosk/kiosk/booking"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/touch"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// arrangeCatalog has one service booked at the counter whose result may be posted.
const arrangeCatalog = `{"format": 1, "version": "arrange-test",
 "categories": [{"id": "traffic", "title": {"zh": "交通出行", "en": "Transport"}}],
 "items": [{"id": "driving-renew", "title": {"zh": "驾驶证期满换证预约", "en": "Renewing a driving licence"},
  "category": "traffic", "department": {"zh": "市公安局交通警察支队", "en": "Traffic Police"},
  "time_limit_days": 0, "channels": {"kiosk": true, "counter": true}, "appointment": true, "post": true,
  "guide": {"zh": "预约后按时到窗口办理。", "en": "Come to the counter at the time you booked."},
  "form": {"fields": []}}]}`

func startArrange(t *testing.T, o uitest.Options) *uitest.Kiosk {
	t.Helper()
	c, err := catalog.Parse([]byte(arrangeCatalog))
	if err != nil {
		t.Fatal(err)
	}
	inner := o.Deps
	o.Deps = func(d *ui.Deps) {
		d.Catalog = uitest.StaticCatalog{C: c}
		if inner != nil {
			inner(d)
		}
	}
	o.Appointments = true
	return uitest.Start(t, o)
}

func toArrange(t *testing.T, k *uitest.Kiosk) {
	t.Helper()
	k.Tap("home.apply")
	k.WaitScreen("catalog")
	k.Tap("catalog.service.driving-renew")
	k.WaitScreen("guide")
	k.Tap("guide.begin")
	k.WaitScreen("identify")
	k.Reader.Place(uitest.Resident())
	k.WaitScreen("arrange")
	k.Loop.WaitFor(t, "calendar", func() bool { return k.Has("arrange.slot.2026-03-19.am") })
}

// thursday is the first full day of the fake clock's window (it starts on Wednesday
// 18 March 2026 at 10:30).
const thursdayAM = "arrange.slot.2026-03-19.am"

// A resident books Thursday morning; the next two see the places go, the third finds it
// full; a resident who leaves without submitting gives the place back; the booking and
// the delivery are on the receipt and in the submission.
func TestAppointmentBookedUntilFull(t *testing.T) {
	k := startArrange(t, uitest.Options{})
	toArrange(t, k)
	if o := k.App.Element("arrange.slot.2026-03-18.am"); o == nil || !o.(*touch.Button).Disabled() {
		t.Error("this morning's slot, begun at 09:00, can be booked")
	}
	if o := k.App.Element("arrange.slot.2026-03-21.am"); o == nil || !o.(*touch.Button).Disabled() {
		t.Error("a Saturday can be booked")
	}
	if !k.Shows("上午 余 2") {
		t.Errorf("no free count; texts %q", strings.Join(k.Texts(), " | "))
	}
	k.Tap(thursdayAM)
	k.Loop.WaitFor(t, "booked", func() bool { _, ok := k.App.Session().Booking(); return ok })
	k.Drain()
	if !k.Shows("已预约：2026-03-19（周四）上午 09:00–12:00") {
		t.Errorf("the booking is not shown; texts %q", strings.Join(k.Texts(), " | "))
	}
	k.Tap("arrange.next")
	k.WaitScreen("review")
	k.Tap("review.confirm")
	k.WaitScreen("receipt")
	subs := k.Submitter.Submissions()
	if len(subs) != 1 || subs[0].Booking == nil || subs[0].Booking.Slot.String() != "2026-03-19/am" || subs[0].ID == "" ||
		subs[0].ID != subs[0].Booking.ID {
		t.Fatalf("submission %+v; want the booking, made for the submission's own id", subs)
	}
	if p := k.Printer.Printed(); len(p) != 1 || !strings.Contains(p[0], "2026-03-19") || !strings.Contains(p[0], "到窗口领取") {
		t.Errorf("the receipt does not carry the appointment and the delivery:\n%s", strings.Join(p, "\n"))
	}
	if !k.Appointments.Confirmed(subs[0].ID) {
		t.Error("the receipt names an appointment the platform only holds for a while (never confirmed)")
	}
	k.Tap("receipt.done")
	k.Tap("rate.skip")
	k.WaitScreen("thanks")
	k.Tap("thanks.home")
	k.WaitScreen("home")

	// The second resident takes the last place, then leaves without submitting: the place
	// is given back.
	toArrange(t, k)
	k.Tap(thursdayAM)
	k.Loop.WaitFor(t, "second booked", func() bool { return k.Appointments.Taken("2026-03-19/am") == 2 })
	k.Tap("nav.home")
	k.WaitScreen("confirm_home")
	k.Tap("confirm_home.leave")
	k.WaitScreen("home")
	k.Loop.WaitFor(t, "place given back", func() bool { return k.Appointments.Taken("2026-03-19/am") == 1 })

	// Another kiosk takes the last place: the next resident here sees the slot full.
	if _, err := k.Appointments.Book(t.Context(), "elsewhere", "driving-renew", booking.Slot{Date: "2026-03-19", Half: booking.AM}); err != nil {
		t.Fatal(err)
	}
	toArrange(t, k)
	if o := k.App.Element(thursdayAM); o == nil || !o.(*touch.Button).Disabled() || !k.Shows("上午 已满") {
		t.Fatalf("a full slot is offered; texts %q", strings.Join(k.Texts(), " | "))
	}
}

// The platform gave the held place away before the resident submitted (the hold ran
// out): neither the submission nor the receipt names an appointment that is not kept.
func TestAppointmentHoldLostBeforeSubmit(t *testing.T) {
	k := startArrange(t, uitest.Options{})
	toArrange(t, k)
	k.Tap(thursdayAM)
	k.Loop.WaitFor(t, "booked", func() bool { _, ok := k.App.Session().Booking(); return ok })
	k.Tap("arrange.next")
	k.WaitScreen("review")
	k.Appointments.LoseHold(k.App.Session().SubmissionID())
	k.Tap("review.confirm")
	k.WaitScreen("receipt")
	subs := k.Submitter.Submissions()
	if len(subs) != 1 || subs[0].Booking != nil {
		t.Fatalf("submission %+v; want no booking", subs)
	}
	p := k.Printer.Printed()
	if len(p) != 1 || strings.Contains(p[0], "2026-03-19") || !strings.Contains(p[0], "尚未预约") {
		t.Errorf("the receipt names a lost appointment:\n%s", strings.Join(p, "\n"))
	}
}

// Offline, the screen says booking needs the network and the resident goes on.
func TestAppointmentOffline(t *testing.T) {
	k := startArrange(t, uitest.Options{})
	k.Appointments.SetOffline(true)
	k.Tap("home.apply")
	k.WaitScreen("catalog")
	k.Tap("catalog.service.driving-renew")
	k.Tap("guide.begin")
	k.Reader.Place(uitest.Resident())
	k.WaitScreen("arrange")
	k.Loop.WaitFor(t, "offline note", func() bool { return k.Shows("预约需要联网") })
	k.Tap("arrange.next")
	k.WaitScreen("review")
	k.Tap("review.confirm")
	k.WaitScreen("receipt")
	if subs := k.Submitter.Submissions(); len(subs) != 1 || subs[0].Booking != nil {
		t.Fatalf("submissions %+v", subs)
	}
}

// 邮寄到家 takes an address typed on the Chinese keyboard; too short an address keeps
// the resident on the screen.
func TestDeliveryByPostWithAddress(t *testing.T) {
	d, err := pinyin.Load(filepath.Join("..", "ime", "pinyin", "testdata", "mini.dict.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	k := startArrange(t, uitest.Options{Deps: func(deps *ui.Deps) { deps.IME = touch.IME{Pinyin: pinyin.NewSession(d)} }})
	toArrange(t, k)
	k.Tap("arrange.delivery.post")
	k.Tap("arrange.next")
	if k.App.ScreenName() != "arrange" || !k.Shows("请填写完整的邮寄地址") {
		t.Fatalf("went on without an address; texts %q", strings.Join(k.Texts(), " | "))
	}
	k.Tap("arrange.address.edit")
	for range 2 {
		for _, r := range "riyongbaihuolingshou" {
			k.Tap("keyboard." + string(r))
		}
		k.Tap("ime.cand.0")
	}
	k.Tap("arrange.address.done")
	k.Tap("arrange.next")
	k.WaitScreen("review")
	k.Tap("review.confirm")
	k.WaitScreen("receipt")
	subs := k.Submitter.Submissions()
	if len(subs) != 1 || subs[0].Delivery != booking.Post || subs[0].Address != "日用百货零售日用百货零售" {
		t.Fatalf("submission %+v", subs)
	}
}

// The arrangements screen, its calendar, a booking and the address keyboard pass the
// accessibility walk in every mode and display.
func TestArrangeAccessible(t *testing.T) {
	for _, size := range a11ySizes {
		for _, m := range a11yModes {
			t.Run(fmt.Sprintf("%s_%.0fx%.0f", m.name, size.Width, size.Height), func(t *testing.T) {
				k := startArrange(t, uitest.Options{Fonts: true, Voice: true, Size: size})
				a := &auditor{t: t, k: k, seen: map[string]bool{}}
				if m.elder {
					k.Tap("home.elder")
				}
				if m.en {
					k.Tap("home.lang")
				}
				toArrange(t, k)
				a.check("calendar")
				k.Tap(thursdayAM)
				k.Loop.WaitFor(t, "booked", func() bool { _, ok := k.App.Session().Booking(); return ok })
				k.Tap("arrange.delivery.post")
				a.check("booked, post")
				k.Tap("arrange.address.edit")
				a.check("address")
				if len(a.found) > 0 {
					t.Errorf("%d findings:\n%s", len(a.found), strings.Join(a.found, "\n"))
				}
			})
		}
	}
}
