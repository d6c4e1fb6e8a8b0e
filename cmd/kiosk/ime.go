package main

import (
	"context"
	"log/slog"
	"runtime/debug"

	"github.com/govkiosk/govkiosk/ime/handwriting"
	"github.com/govkiosk/govkiosk/ime/pinyin"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// loadIME loads the Chinese input: the pinyin dictionary (pinyin_simp with rime-essay's
// words, see pinyin.Open) and the handwriting models from their Debian packages (the
// dictionary's character counts also rank handwritten candidates). A missing part (a
// broken install) turns that input off, or for the essay makes pinyin fall back to
// pinyin_simp alone, with a warning for the technician; the kiosk runs on, with capital
// letters at worst. Without the Japanese model handwriting runs on the Chinese one alone,
// less accurately. Where no fresh essay index exists (the package builds one at install)
// it is built into the kiosk's cache once, which takes a few seconds.
func loadIME(ctx context.Context, log *slog.Logger) (touch.IME, func()) {
	var ime touch.IME
	var counts map[string]float64
	d, essayErr, err := pinyin.Open(ctx, pinyin.DefaultSources())
	if err != nil {
		log.Warn("pinyin input off: reinstall rime-data-pinyin-simp", "err", err)
	} else {
		ime.Pinyin = pinyin.NewSession(d)
		counts = d.CharCounts()
		if essayErr != nil {
			log.Warn("pinyin without rime-essay's words (fewer phrases offered): "+pinyin.EssayRemedy(essayErr), "err", essayErr)
		} else if !d.HasLexicon() {
			log.Warn("pinyin without jieba's nouns (fewer names of things and places offered): install python3-jieba")
		}
		log.Info("pinyin dictionary loaded", "words", d.Len(), "essay", essayErr == nil, "lexicon", d.HasLexicon())
	}
	// Reading the dictionaries and deriving the kinds leave garbage twice the dictionary's
	// size (and building an essay index far more): hand it back to the system at once
	// rather than keep it in the kiosk's memory until the scavenger gets to it.
	debug.FreeOSMemory()
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
