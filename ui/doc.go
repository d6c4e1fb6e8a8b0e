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
// UI writes there a JSON object describing what can be tapped, after every screen change,
// every change of a screen's contents and every scroll, once the layout has been still
// for 150 ms:
//
//	{"screen": "home", "width": 1920, "height": 1080, "elements": [
//	  {"id": "home.apply", "label": "我要办事", "x": 214, "y": 250, "w": 735, "h": 330}, ...]}
//
// Coordinates are window pixels (the canvas scale applied), the rectangle clipped to the
// window and to the scroll area it lies in; elements scrolled out of sight, or hidden, are
// left out (scroll the list to bring them in: the map follows). "disabled": true marks an
// element that is shown but does nothing now (scan while a page is scanning, "next page"
// on the last page). When a dialog is up, "screen" names the dialog, "under" the screen
// beneath it, and only the dialog's elements are listed. The file is replaced atomically
// (written to a temporary file in the same directory, then renamed), so a reader never
// sees half a map.
//
// Screen names: home, catalog, guide, identify, form, materials, review, submitting,
// submit_failed, printing, receipt, rate, thanks, query, query_result, notices; the
// dialogs still_there, confirm_home, tech_pin and tech_unsaved; tech_settings; safe_mode (in place of
// home when Deps.SafeMode is set). Element ids are stable:
//
//	nav.back, nav.home                  the top bar of every screen that has them
//	home.apply, home.track, home.rate, home.notices, home.elder, home.lang
//	catalog.category.all, catalog.category.bundles, catalog.category.<category id>,
//	catalog.service.<service id>, catalog.search (opens and closes the keyboard),
//	catalog.search.field and catalog.search.clear (while typing or searching),
//	catalog.page.prev, catalog.page.next
//	guide.begin                         absent for a service applied for at the counter
//	identify.qr, identify.staff, identify.skip (skip only where identity is optional)
//	form.field.<field id>, form.choice.<option value>, form.next
//	keypad.0 … keypad.9, keypad.x, keypad.dot, keypad.dash, keypad.back, keypad.clear
//	keyboard.a … keyboard.z, keyboard.0 … keyboard.9, keyboard.dash, keyboard.hash,
//	keyboard.slash, keyboard.dot, keyboard.space, keyboard.back, keyboard.clear
//	  (technician keyboard also: keyboard.colon, keyboard.underscore, keyboard.at,
//	  keyboard.shift)
//	materials.scan.<material id>, materials.retake.<material id> (once a page is
//	scanned), materials.next
//	review.confirm
//	submit_failed.retry
//	receipt.done, receipt.reprint
//	rate.star.1 … rate.star.5, rate.reason.<key> (once stars are chosen), rate.send,
//	rate.skip
//	thanks.home
//	query.lookup
//	notices.item.<notice id>
//	still_there.continue, still_there.leave
//	confirm_home.stay, confirm_home.leave
//	tech_pin.ok, tech_pin.cancel (with keypad.*)
//	tech_unsaved.stay, tech_unsaved.discard (tech.exit with an edit not saved)
//	tech.section.<devices|queue|platform|terminal|logs>, tech.exit, tech.save,
//	tech.detect, tech.adopt.<n>, tech.test_read, tech.test_print, tech.test_scan,
//	tech.test_document, tech.queue, tech.sync_now, tech.enroll, tech.export_logs,
//	tech.platform.url, tech.platform.code, tech.terminal.id, tech.hall.en,
//	tech.idle.minus, tech.idle.plus, tech.warning.minus, tech.warning.plus,
//	tech.device.<name>.<transport|baud|path|usb|address>, tech.restart (with
//	Deps.OnRestart)
//	safe_mode.technician (safe_mode.restart instead when there is no PIN guard)
//
// The technician screens open with the corner gesture of kiosk/access on the start
// screen: taps on the four corners (top-left, top-right, bottom-right, bottom-left)
// within five seconds. The corners hold no buttons for this reason.
//
// # Safe mode
//
// After repeated crashes the kiosk session starts the kiosk in safe mode (Deps.SafeMode):
// the PIN pad opens at once over the safe_mode screen, which tells residents that
// self-service is paused and begins no visit; the settings then say why they opened and
// offer "restart normally" (Deps.OnRestart), which the wiring answers by exiting with
// status 0. Leaving the settings, or the PIN pad, returns to the safe_mode screen.
//
// # Settings while running
//
// ApplySettings takes the hall's name and the session's timeouts without a restart; the
// settings screen calls it after the technician saves, and the wiring when the
// configuration file changes.
package ui
