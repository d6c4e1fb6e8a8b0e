// Package fleet simulates many kiosk terminals in one process, for load tests, chaos
// tests and benchmarks of the sync path: each simulated terminal has its own data
// directory, its own real outbox (sync/queue, bbolt, encrypted files) and its own real
// sync client (sync/client) talking to a real hub over a websocket.
//
// A Fleet enrolls its terminals with one-time codes (given, or created through the hub's
// operator API), enqueues synthetic submissions with synthetic attachments, and measures
// what a load test wants to know: enqueue latency, time from Enqueue returning (the
// moment the resident's receipt would print) to the hub's acknowledgement, throughput,
// how often the hub saw a repeat, and how long terminals take to come back online after
// the hub went away. Run does all of that in one call; kioskctl sim fleet is its
// command line.
//
// It must never use personal data: names are fictional (测试甲…), ID numbers use the
// unassigned region 99xxxx with a correct check digit, attachments are pseudo-random
// bytes. It never logs form values.
package fleet
