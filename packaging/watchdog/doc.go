// Package watchdog tells the service manager that the kiosk is alive.
//
// Under systemd it speaks the notify protocol: datagrams such as "READY=1", "STATUS=…" and
// "WATCHDOG=1" sent to the unix socket named by $NOTIFY_SOCKET. The kiosk's unit sets
// WatchdogSec=, so when the pings stop systemd kills the session and starts it again.
// Outside systemd (a technician running the kiosk by hand, a test) it keeps a heartbeat
// file instead, whose modification time says when the kiosk last proved it was alive.
//
// Liveness must mean "the UI can still serve a resident", not "some goroutine runs": the
// kiosk hands Run the function that posts work to its UI thread (fyne.Do), so a beat is
// only sent once the UI thread has executed it. A hung UI stops the beats.
//
// The package never blocks the caller on the service manager, never panics on a missing
// or broken socket (the kiosk keeps serving; the failure is logged once), and never puts
// anything but what the caller passes to Status on the wire: callers must not pass personal
// data (names, ID numbers, phone numbers, addresses) to Status, since it ends up in
// "systemctl status" and in the journal.
package watchdog
