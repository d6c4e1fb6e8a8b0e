package ui_test

import (
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/ui/uitest"
)

// BenchmarkHomeScreen builds and lays out the start screen, as after every visit.
func BenchmarkHomeScreen(b *testing.B) {
	k := uitest.Start(b, uitest.Options{Fonts: true})
	k.Bulletins.Set(bulletin())
	k.Loop.WaitFor(b, "announcement", func() bool { return k.Shows("本大厅周六") })
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		k.App.Redraw()
		k.Drain()
	}
}

// BenchmarkSession runs a whole visit on fakes: choose, card, form, two scans, submit,
// print, rate, and back to the start screen.
func BenchmarkSession(b *testing.B) {
	k := uitest.Start(b, uitest.Options{Fonts: true})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		k.Tap("home.apply")
		k.Tap("catalog.service.hukou-proof")
		k.Tap("guide.begin")
		k.Reader.Place(uitest.Resident())
		k.WaitScreen("form")
		k.Tap("form.field.mobile")
		k.Type("keypad", "13912345678")
		k.Tap("form.field.purpose")
		k.Tap("form.choice.work")
		k.Tap("form.next")
		for i := 1; i <= 2; i++ {
			k.Tap("materials.scan.household-register")
			k.Loop.WaitFor(b, "scan", func() bool { return k.App.Session().PageCount("household-register") == i })
		}
		k.Tap("materials.next")
		k.Tap("review.confirm")
		k.WaitScreen("receipt")
		k.Tap("receipt.done")
		k.Tap("rate.star.5")
		k.Tap("rate.send")
		k.WaitScreen("thanks")
		k.Tap("thanks.home")
		k.WaitScreen("home")
		k.Clock.Advance(time.Minute)
	}
}
