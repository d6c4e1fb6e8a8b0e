// Package packaging holds what turns a bare Debian or Ubuntu machine into a govkiosk
// terminal, and the tests that check it: nfpm configurations for the govkiosk and
// govkiosk-hub .deb packages (nfpm/), their maintainer scripts (scripts/), the systemd
// units (systemd/), the kiosk's X session with its crash counter and safe mode (session/),
// the udev rules and the stable-name tool (udev/), and the build script build-deb. The
// watchdog package, imported by the kiosk, lives in watchdog/.
//
// Nothing here is imported by the kiosk except watchdog; this package has no code, only
// tests that build the packages and inspect them.
package packaging
