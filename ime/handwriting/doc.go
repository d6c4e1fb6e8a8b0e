// Package handwriting recognises one Chinese character written with a finger on the pad.
//
// Ink is the strokes as drawn; ParseInk reads them from JSON (kioskctl, tests), keeping
// only points on the pad. A Recognizer turns ink into ranked candidates; the one used on
// the kiosk is Zinnia (Debian libzinnia0, BSD-3-Clause) with the Tegaki simplified-Chinese
// model (Debian tegaki-zinnia-simplified-chinese, LGPL-2.1+), called through cgo. The
// package never logs or keeps what is written.
package handwriting
