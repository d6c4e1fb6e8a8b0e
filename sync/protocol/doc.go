// Package protocol is the wire protocol between a kiosk's sync client and the central hub:
// the message types, their validation, the strict decoder for JSON control frames, the
// binary attachment-chunk frame, the enrollment request and the Ed25519 challenge that
// proves a terminal's identity on every connect. docs/PROTOCOL.md is its specification;
// the two must change together.
//
// The package is pure: it opens no connection, touches no disk, keeps no state and must
// never log. Message bodies carry residents' personal data, and nothing here may copy it
// anywhere but into the value the caller asked for; error messages name fields, never
// their values.
package protocol
