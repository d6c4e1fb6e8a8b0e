// Package voice says the kiosk's spoken guidance: each screen's main instruction, spoken
// when the screen appears, again when the resident taps "say it again", and cut off the
// moment another screen appears. What may be said, and how loud, is kiosk/speech's
// policy; this package turns it into sound through drivers/tts and drivers/audio.
//
// The Guide speaks only fixed instruction texts (translation entries, by prompt id) and,
// when the receipt screen asks, the tracking code, slowly, character by character. It
// must never speak a name or an ID number: Say refuses text that fails speech.Check, and
// the Guide logs prompt ids, never what was said.
//
// Nothing here runs on the UI goroutine: Say hands the prompt to the Guide's own
// goroutine and returns at once.
package voice
