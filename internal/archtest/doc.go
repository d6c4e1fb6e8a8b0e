// Package archtest keeps govkiosk's architecture honest by machine: its tests fail when a
// package imports across a layer it must not cross (the rules table in deps_test.go: the
// pure kiosk/ core, drivers below ui/ and sync/, serial and USB only in drivers/transport,
// Fyne only in the UI, a wire protocol that depends on nothing of the app, no test code in
// the binaries), and when a directory has no package doc comment or more than one.
//
// It holds no code the product runs; everything here is a test. `make guards` runs it.
package archtest
