// Package ime is the kiosk's Chinese input: a pinyin engine (ime/pinyin) and a handwriting
// recognizer (ime/handwriting), both pure logic with no Fyne, so the on-screen keyboard, the
// technician's kioskctl and the tests use the same code.
//
// Nothing here may keep what a resident typed beyond one visit: learning lives in a
// session that the kiosk drops when the visit ends, and no text is ever logged.
package ime
