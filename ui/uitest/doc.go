// Package uitest runs the kiosk UI without devices, network or display: in-memory fakes of
// every interface package ui needs, a queue standing in for the UI goroutine, a fake
// clock, a harness that builds the UI in a Fyne test window and taps it by automation id,
// and golden-image comparison with an -update flag.
//
// Fakes are fine at this layer: device protocols are tested in the drivers. Test data is
// synthetic: fictional names and ID numbers in the unassigned region 99xxxx. The package
// is for tests only and must never be imported by the kiosk itself.
package uitest
