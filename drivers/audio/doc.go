// Package audio plays synthesized speech: a Clip of 16-bit mono samples goes to a Sink,
// which is the machine's sound card (ALSA, or PulseAudio through ALSA's pulse plugin),
// a directory of WAV files (tests, a technician's check), or nothing at all on a machine
// without a sound card, so the kiosk keeps working and reports "no audio device".
//
// Every Sink's Play can be cut off through its context: a new screen's prompt must stop
// the previous one at once. Nothing here knows what is being said; it never logs content.
package audio
