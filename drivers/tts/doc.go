// Package tts turns a prompt's text into speech, offline, with eSpeak NG through its C
// library (Debian libespeak-ng1; headers in libespeak-ng-dev): the Mandarin voice "cmn"
// for zh and "en" for English.
//
// eSpeak NG was chosen because it is the only offline engine Debian packages with a
// Mandarin voice; it sounds robotic but is clear, small (a few MB), and synthesizes far
// faster than real time. Ekho and the Festival Mandarin voices are not packaged, and Pico
// has no Mandarin.
//
// The C library keeps global state, so one Engine serializes every call. A Cache keeps
// synthesized prompts per language and catalog version, in memory (bounded) and on disk.
// The package never logs what it is asked to say.
package tts
