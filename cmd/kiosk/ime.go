package main

import (
	"log/slog"

	"github.com/govkiosk/govkiosk/ime/handwriting"
	"github.com/govkiosk/govkiosk/ime/pinyin"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// loadIME loads the Chinese input: the pinyin dictionary and the handwriting models from
// their Debian packages (the dictionary's character counts also rank handwritten
// candidates). A missing part (a broken install) turns that input off with a warning for
// the technician; the kiosk runs on, with capital letters at worst. Without the Japanese
// model handwriting runs on the Chinese one alone, less accurately.
func loadIME(log *slog.Logger) (touch.IME, func()) {
	var ime touch.IME
	var counts map[string]float64
	if d, err := pinyin.Load(pinyin.DefaultDictPath); err != nil {
		log.Warn("pinyin input off: reinstall rime-data-pinyin-simp", "err", err)
	} else {
		ime.Pinyin = pinyin.NewSession(d)
		counts = d.CharCounts()
	}
	e, err := handwriting.OpenEnsemble(handwriting.DefaultModelPath, handwriting.JapaneseModelPath)
	if err != nil {
		log.Warn("handwriting input off: reinstall tegaki-zinnia-simplified-chinese", "err", err)
		return ime, func() {}
	}
	if e.Degraded != nil {
		log.Warn("handwriting less accurate: reinstall tegaki-zinnia-japanese", "err", e.Degraded)
	}
	if counts != nil {
		e.SetFrequencies(counts)
	}
	ime.Handwriting = e
	return ime, func() { _ = e.Close() }
}
