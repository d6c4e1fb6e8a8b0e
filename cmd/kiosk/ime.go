package main

import (
	"log/slog"

	"github.com/govkiosk/govkiosk/ime/handwriting"
	"github.com/govkiosk/govkiosk/ime/pinyin"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// loadIME loads the Chinese input: the pinyin dictionary and the handwriting model from
// their Debian packages. A missing part (a broken install) turns that input off with a
// warning for the technician; the kiosk runs on, with capital letters at worst.
func loadIME(log *slog.Logger) (touch.IME, func()) {
	var ime touch.IME
	if d, err := pinyin.Load(pinyin.DefaultDictPath); err != nil {
		log.Warn("pinyin input off: reinstall rime-data-pinyin-simp", "err", err)
	} else {
		d.PrepareKinds() // not at the first address field a resident opens
		ime.Pinyin = pinyin.NewSession(d)
	}
	z, err := handwriting.OpenZinnia(handwriting.DefaultModelPath)
	if err != nil {
		log.Warn("handwriting input off: reinstall tegaki-zinnia-simplified-chinese", "err", err)
		return ime, func() {}
	}
	ime.Handwriting = z
	return ime, func() { _ = z.Close() }
}
