// Package ui is the kiosk's touch interface, built with Fyne: one screen per state of the
// resident's session (kiosk/session), the "still there?" and "leave?" dialogs, the
// on-screen keypads, the technician screens, and the ways out of every device fault.
//
// Screens receive small interfaces (IdentitySource, Printer, DocScanner, BarcodeSource,
// Submitter, Feed) that cmd/kiosk implements with the real drivers, queue and sync client,
// and that package uitest implements in memory for tests. Rules live outside the widgets:
// what a field accepts is kiosk/form's, where the visit goes next is kiosk/session's.
//
// Device and network calls run in goroutines bound to the screen's context and hand their
// results to the UI goroutine through Deps.Do (fyne.Do in the kiosk); the UI goroutine
// never waits on a device or the network.
//
// The package must never log, keep or show personal data beyond the visit: identity and
// form values live in the session, which wipes them, and the screen showing them is
// replaced the moment the session reports the wipe.
//
// # Automation map
//
// When Deps.MapPath, or else the environment variable GOVKIOSK_UI_MAP, names a file, the
// UI writes there, after every screen change and once the layout has been still for
// 150 ms, a JSON object describing what can be tapped:
//
//	{"screen": "home", "width": 1920, "height": 1080, "elements": [
//	  {"id": "home.apply", "label": "我要办事", "x": 214, "y": 250, "w": 735, "h": 330}, ...]}
//
// Coordinates are window pixels (the canvas scale applied), the rectangle clipped to the
// window and to any scroll area it lies in; elements scrolled out of sight are left out.
// When a dialog is up, "screen" names the dialog, "under" the screen beneath it, and
// only the dialog's elements are listed. The file is replaced atomically (written to a
// temporary file in the same directory, then renamed), so a reader never sees half a map.
//
// Screen names are the session states' screens: home, catalog, guide, identify, form,
// materials, review, submitting, submit_failed, printing, receipt, rate, thanks, query,
// query_result, notices; the dialogs still_there and confirm_home; and the technician
// screens tech_pin and tech_settings. Element ids are stable and say where they are:
//
//	nav.back, nav.home                  the top bar of every screen but home
//	home.apply, home.track, home.rate, home.notices, home.elder, home.lang
//	catalog.category.<id>, catalog.service.<id>, catalog.search, catalog.search.clear
//	guide.begin
//	identify.skip, identify.qr, identify.staff
//	form.field.<field id>, form.choice.<value>, form.next
//	keypad.0 … keypad.9, keypad.x, keypad.dot, keypad.dash, keypad.back, keypad.clear
//	keyboard.a … keyboard.z, keyboard.0 … keyboard.9, keyboard.dash, keyboard.hash,
//	keyboard.slash, keyboard.dot, keyboard.space, keyboard.back, keyboard.clear
//	materials.scan.<material id>, materials.retake.<material id>, materials.next
//	review.confirm
//	submit_failed.retry
//	receipt.done, receipt.reprint
//	rate.star.1 … rate.star.5, rate.reason.<key>, rate.send, rate.skip
//	thanks.home
//	query.lookup, query.scan
//	still_there.continue, still_there.leave
//	confirm_home.stay, confirm_home.leave
//	tech_pin.cancel, tech.<action>
package ui
