// Package session is one resident's visit to the kiosk as a state machine: from the idle
// screen through choosing a service, identifying, filling the form, scanning materials,
// reviewing, submitting and the receipt, to rating and wiping, with side paths for
// querying progress, rating only and reading public notices.
//
// Every state has a way home: back and home work everywhere a resident can act (home
// asks to confirm when they would lose what they entered), and an idle timeout asks
// "still there?" and then wipes everything. The states a resident cannot act in
// (submitting, printing) end when the submitter or printer reports, and those report
// failures as states with a way out.
//
// The session owns the resident's personal data for its duration: the identity, the form,
// the scanned pages, the query key. It wipes all of it when the visit ends, however it
// ends. It must never log any of it (only state names and service IDs), and it knows no
// UI toolkit, no device and no storage: time comes from an injected Clock and changes go
// out through a callback.
package session
