package hub

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are plain atomic counters, read both by Stats and by the Prometheus registry,
// so tests and /metrics see the same numbers. The registry is the hub's own: several hubs
// in one process do not collide.
type metrics struct {
	reg *prometheus.Registry

	handshakes        atomic.Int64
	handshakesRefused atomic.Int64
	authFailures      atomic.Int64
	enrollments       atomic.Int64
	submissions       atomic.Int64
	duplicates        atomic.Int64
	rejected          atomic.Int64
	ratings           atomic.Int64
	chunkFrames       atomic.Int64
	chunksStored      atomic.Int64
	chunksRefused     atomic.Int64
	chunkBytes        atomic.Int64
	checksumFailures  atomic.Int64
	tryLater          atomic.Int64
	protocolErrors    atomic.Int64
	heartbeats        atomic.Int64
	identityCodes     atomic.Int64
	// Abuse bounds (issue: each terminal in its own lane, abuse bounded).
	foreignCodes   atomic.Int64 // submit/rating naming another terminal's code or submission
	enrollRefused  atomic.Int64 // enrollments answered try_later by the enrollment budget
	lookupsRefused atomic.Int64 // public tracking-code lookups over a source's budget
	connsRefused   atomic.Int64 // TCP connections closed at the listener cap
	quotaRefused   atomic.Int64 // submits over a terminal's quota
	diskRefused    atomic.Int64 // submits and chunks refused for lack of free space
	sweptUploads   atomic.Int64 // abandoned open submissions removed by the TTL sweep
	sweptBytes     atomic.Int64 // bytes of .part files removed by the TTL sweep
	// storageFailures counts writes the hub's storage failed (disk full, database
	// errors): each answered "internal" with retry_after_ms.
	storageFailures atomic.Int64
	// Hand-off to the business system.
	forwarded       atomic.Int64
	forwardFailures atomic.Int64
	// Operators.
	operatorAuthFailures atomic.Int64 // wrong operator credentials
	operatorThrottled    atomic.Int64 // operator requests refused: the source failed too often
	operatorForbidden    atomic.Int64 // operator requests beyond the account's role
	identityRefused      atomic.Int64 // identity codes refused by the issuer's budget
	auditFailures        atomic.Int64 // audit entries that could not be written
}

func newMetrics(h *Hub) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	counter := func(name, help string, v *atomic.Int64) {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "govkiosk_hub", Name: name, Help: help,
		}, func() float64 { return float64(v.Load()) }))
	}
	gauge := func(name, help string, f func(Stats) int) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "govkiosk_hub", Name: name, Help: help,
		}, func() float64 { return float64(f(h.gauges())) }))
	}
	counter("handshakes_total", "Terminals that completed the challenge-response handshake.", &m.handshakes)
	counter("handshakes_refused_total", "Connections and enrollments answered try_later (rate, capacity).", &m.handshakesRefused)
	counter("auth_failures_total", "Handshakes that failed: unknown terminal, bad signature, no common version.", &m.authFailures)
	counter("enrollments_total", "Terminals enrolled with a one-time code.", &m.enrollments)
	counter("submissions_total", "Submissions committed (first time).", &m.submissions)
	counter("forwarded_total", "Submissions handed off to the business system.", &m.forwarded)
	counter("forward_failures_total", "Hand-off attempts that failed and will be retried or parked.", &m.forwardFailures)
	counter("duplicates_total", "Repeated submit, commit or rating answered with the original ack.", &m.duplicates)
	counter("rejected_total", "Submissions and ratings refused permanently (conflict, invalid).", &m.rejected)
	counter("ratings_total", "Ratings stored (first time).", &m.ratings)
	counter("chunk_frames_total", "Binary frames begun, including those cut off mid-frame.", &m.chunkFrames)
	counter("chunks_stored_total", "Attachment chunks stored and acknowledged.", &m.chunksStored)
	counter("chunks_refused_total", "Attachment chunks answered with an error.", &m.chunksRefused)
	counter("chunk_bytes_total", "Attachment bytes stored.", &m.chunkBytes)
	counter("checksum_failures_total", "Attachments whose bytes did not match their SHA-256.", &m.checksumFailures)
	counter("try_later_total", "try_later answers (handshakes, uploads, storage).", &m.tryLater)
	counter("protocol_errors_total", "Error messages sent to terminals.", &m.protocolErrors)
	counter("heartbeats_total", "Heartbeats received.", &m.heartbeats)
	counter("identity_codes_total", "Identity QR codes issued.", &m.identityCodes)
	counter("foreign_codes_total", "Submissions and ratings refused for naming another terminal's tracking code or submission.", &m.foreignCodes)
	counter("enroll_refused_total", "Enrollment requests answered try_later by the per-source enrollment budget.", &m.enrollRefused)
	counter("lookups_refused_total", "Public tracking-code lookups refused by the per-source budget.", &m.lookupsRefused)
	counter("conns_refused_total", "TCP connections closed at once because the hub held its maximum.", &m.connsRefused)
	counter("quota_refused_total", "Submits answered try_later because the terminal is at its quota.", &m.quotaRefused)
	counter("disk_refused_total", "Submits and chunks answered try_later because free space is low.", &m.diskRefused)
	counter("swept_uploads_total", "Abandoned open submissions removed by the TTL sweep.", &m.sweptUploads)
	counter("storage_failures_total", "Storage writes that failed (disk full, database errors); each answered internal with retry_after_ms.", &m.storageFailures)
	counter("operator_auth_failures_total", "Operator requests with wrong credentials.", &m.operatorAuthFailures)
	counter("operator_throttled_total", "Operator requests refused because their source failed to sign in too often.", &m.operatorThrottled)
	counter("operator_forbidden_total", "Operator requests beyond the account's role.", &m.operatorForbidden)
	counter("identity_codes_refused_total", "Identity codes refused by the issuing operator's budget.", &m.identityRefused)
	counter("audit_failures_total", "Audit entries that could not be written (the answer was withheld).", &m.auditFailures)
	counter("swept_bytes_total", "Bytes of partial attachments removed by the TTL sweep.", &m.sweptBytes)
	gauge("open_submissions", "Submissions opened and not yet committed (their uploads count against terminals' quotas).", func(s Stats) int { return s.OpenSubmissions })
	gauge("connections", "Open websocket connections (including unauthenticated).", func(s Stats) int { return s.Connections })
	gauge("terminals_online", "Authenticated terminals connected now.", func(s Stats) int { return s.Online })
	gauge("terminals_enrolled", "Terminals enrolled.", func(s Stats) int { return s.Terminals })
	gauge("uploads_active", "Submissions receiving attachment bytes now.", func(s Stats) int { return s.Uploads })
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Stats is a snapshot of the hub's gauges and counters since it started.
type Stats struct {
	Connections int // open websocket connections
	Online      int // authenticated terminals connected
	Terminals   int // enrolled terminals
	Uploads     int // submissions receiving bytes
	// OpenSubmissions counts submissions opened and not committed (nor swept).
	OpenSubmissions int

	Handshakes        int64
	HandshakesRefused int64
	AuthFailures      int64
	Enrollments       int64
	Submissions       int64 // committed the first time
	Duplicates        int64 // repeats answered with the original ack
	Rejected          int64
	Ratings           int64
	ChunkFrames       int64 // binary frames begun, complete or not
	ChunksStored      int64
	ChunksRefused     int64
	ChunkBytes        int64
	ChecksumFailures  int64
	TryLater          int64
	ProtocolErrors    int64
	Heartbeats        int64
	IdentityCodes     int64 // identity QR codes issued
	ForeignCodes      int64 // refused: another terminal's tracking code or submission
	EnrollRefused     int64 // enrollments refused by the per-source budget
	LookupsRefused    int64 // public lookups refused by the per-source budget
	ConnsRefused      int64 // TCP connections closed at the listener cap
	QuotaRefused      int64 // submits refused at a terminal's quota
	DiskRefused       int64 // submits and chunks refused for lack of free space
	SweptUploads      int64 // abandoned open submissions removed
	// Operators.
	OperatorAuthFailures int64 // wrong operator credentials
	OperatorThrottled    int64 // operator requests refused after too many failures from their source
	OperatorForbidden    int64 // operator requests beyond the account's role
	IdentityRefused      int64 // identity codes refused by the operator's budget
	AuditFailures        int64 // audit entries that could not be written
	SweptBytes           int64 // partial attachment bytes removed
}

func (h *Hub) gauges() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := Stats{Connections: len(h.conns), Terminals: len(h.terms), Uploads: len(h.uploads)}
	for _, m := range h.quota.open {
		s.OpenSubmissions += len(m)
	}
	for _, t := range h.terms {
		if t.conn != nil {
			s.Online++
		}
	}
	return s
}

// Stats returns the current gauges and counters.
func (h *Hub) Stats() Stats {
	s := h.gauges()
	m := h.m
	s.Handshakes = m.handshakes.Load()
	s.HandshakesRefused = m.handshakesRefused.Load()
	s.AuthFailures = m.authFailures.Load()
	s.Enrollments = m.enrollments.Load()
	s.Submissions = m.submissions.Load()
	s.Duplicates = m.duplicates.Load()
	s.Rejected = m.rejected.Load()
	s.Ratings = m.ratings.Load()
	s.ChunkFrames = m.chunkFrames.Load()
	s.ChunksStored = m.chunksStored.Load()
	s.ChunksRefused = m.chunksRefused.Load()
	s.ChunkBytes = m.chunkBytes.Load()
	s.ChecksumFailures = m.checksumFailures.Load()
	s.TryLater = m.tryLater.Load()
	s.ProtocolErrors = m.protocolErrors.Load()
	s.Heartbeats = m.heartbeats.Load()
	s.IdentityCodes = m.identityCodes.Load()
	s.ForeignCodes = m.foreignCodes.Load()
	s.EnrollRefused = m.enrollRefused.Load()
	s.LookupsRefused = m.lookupsRefused.Load()
	s.ConnsRefused = m.connsRefused.Load()
	s.QuotaRefused = m.quotaRefused.Load()
	s.DiskRefused = m.diskRefused.Load()
	s.SweptUploads = m.sweptUploads.Load()
	s.OperatorAuthFailures = m.operatorAuthFailures.Load()
	s.OperatorThrottled = m.operatorThrottled.Load()
	s.OperatorForbidden = m.operatorForbidden.Load()
	s.IdentityRefused = m.identityRefused.Load()
	s.AuditFailures = m.auditFailures.Load()
	s.SweptBytes = m.sweptBytes.Load()
	return s
}
