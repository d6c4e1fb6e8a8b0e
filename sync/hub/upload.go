package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/tracking"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// upload is the submission a connection is receiving bytes for. parts[i] is nil once
// attachment i is complete.
type upload struct {
	rec   *submissionRecord
	parts []attachmentPart
	slot  bool
}

func (u *upload) complete() bool {
	for _, p := range u.parts {
		if p != nil {
			return false
		}
	}
	return true
}

// emptySHA256 is the SHA-256 of zero bytes: the only valid checksum for an empty file.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func digestOf(v any) string {
	b, _ := json.Marshal(v) // map keys are sorted, so equal messages hash equally
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func (c *conn) handleSubmit(m *protocol.Submit) {
	h := c.h
	c.dropUpload()
	tid := c.term.rec.ID
	digest := digestOf(m)
	code, err := tracking.Normalize(m.TrackingCode)
	if err != nil {
		h.m.rejected.Add(1)
		c.reply(protocol.Errorf(protocol.CodeRejected, m.ID, "tracking code is not valid (format or check character)"))
		return
	}
	if !c.ownsCode(code) {
		// Another terminal's code (or one from before a re-enrollment): taking it would
		// squat on a resident's code, and the real owner's submission would be refused.
		h.m.rejected.Add(1)
		h.m.foreignCodes.Add(1)
		c.log.Info("submission with another terminal's tracking code refused", "id", m.ID)
		c.reply(protocol.Errorf(protocol.CodeConflict, m.ID, "tracking code does not belong to this terminal"))
		return
	}
	rec, err := h.st.submission(m.ID)
	if err != nil {
		c.internal(m.ID, err)
		return
	}
	if rec == nil {
		fields, _ := json.Marshal(m.Fields)
		fresh := &submissionRecord{
			ID: m.ID, TerminalID: tid, TrackingCode: code, Item: m.Item, ItemTitle: m.ItemTitle,
			CreatedAt: m.CreatedAt, OpenedAt: h.opt.Now(), Digest: digest,
			Fields: h.seal.seal(fields, []byte("fields:"+m.ID)), Attachments: m.Attachments, State: stateOpen,
			IDHash: h.subjectHash(m.Fields),
		}
		for i, a := range m.Attachments {
			if a.Size == 0 && a.SHA256 != emptySHA256 {
				h.m.rejected.Add(1)
				c.reply(protocol.Errorf(protocol.CodeRejected, m.ID, "attachment %d is empty but its sha256 is not that of empty data", i))
				return
			}
		}
		// Bounds before anything is stored: the terminal's quota of unfinished uploads,
		// and room on disk for what it declares.
		declared := declaredBytes(m.Attachments)
		if declared > 0 {
			if e := h.roomFor(m.ID, declared); e != nil {
				c.reply(e)
				return
			}
		}
		if e := h.reserveOpen(tid, m.ID, declared); e != nil {
			c.reply(e)
			return
		}
		var outcome openOutcome
		rec, outcome, err = h.st.openSubmission(fresh)
		if err != nil || outcome != openCreated {
			h.noteClosed(tid, m.ID)
			if outcome == openExisting && rec != nil && rec.TerminalID == tid && rec.State == stateOpen {
				h.reserveOpen(tid, m.ID, declaredBytes(rec.Attachments)) // another replica opened it
			}
		}
		switch {
		case err != nil:
			c.internal(m.ID, err)
			return
		case outcome == openTrackingTaken:
			h.m.rejected.Add(1)
			c.reply(protocol.Errorf(protocol.CodeConflict, m.ID, "tracking code already used by another submission"))
			return
		}
	}
	// Never say whose the id is: another terminal's id looks like any reused id.
	if rec.TerminalID != tid || rec.Digest != digest {
		h.m.rejected.Add(1)
		c.reply(protocol.Errorf(protocol.CodeConflict, m.ID, "submission id already used for different content"))
		return
	}
	if rec.State == stateCommitted {
		h.m.duplicates.Add(1)
		c.sendMsg(rec.ack(true))
		return
	}
	up := &upload{rec: rec, parts: make([]attachmentPart, len(rec.Attachments))}
	need := false
	for i, a := range rec.Attachments {
		if !h.att.complete(tid, rec.ID, i, a.Size) {
			need = true
		}
	}
	if need {
		if e := h.claimUpload(c, rec.ID); e != nil {
			c.reply(e)
			return
		}
		up.slot = true
		c.up = up // from here dropUpload releases the slot
		if err := h.att.prepare(tid, rec.ID); err != nil {
			c.internal(m.ID, err)
			return
		}
	}
	c.up = up
	offsets := make([]int64, len(rec.Attachments))
	for i, a := range rec.Attachments {
		if h.att.complete(tid, rec.ID, i, a.Size) {
			offsets[i] = a.Size
			continue
		}
		p, err := h.att.openPart(tid, rec.ID, i, a)
		if err != nil {
			c.internal(m.ID, err)
			return
		}
		if p.offset() == p.length() {
			// Every byte arrived before a crash cut the check short: check now.
			switch err := p.finish(); {
			case errors.Is(err, errChecksum):
				h.m.checksumFailures.Add(1)
			case err != nil:
				p.close()
				c.internal(m.ID, err)
				return
			default:
				offsets[i] = a.Size
				continue
			}
		}
		up.parts[i] = p
		offsets[i] = p.offset()
	}
	c.sendMsg(&protocol.UploadState{ID: rec.ID, Offsets: offsets})
}

// claimUpload takes an upload slot for id on c. Another connection of the same terminal
// still holding the id (one that has not noticed it was replaced) is closed first.
func (h *Hub) claimUpload(c *conn, id string) *protocol.Error {
	busy := protocol.Errorf(protocol.CodeTryLater, id, "too many uploads at once")
	busy.RetryAfterMS = h.opt.RetryAfter.Milliseconds()
	h.mu.Lock()
	holder := h.uploads[id]
	h.mu.Unlock()
	if holder != nil && holder != c {
		holder.closeWith(closeReplaced, "replaced by a newer connection")
		select {
		case <-holder.cleaned:
		case <-time.After(2 * time.Second):
			return busy
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.uploads[id] != nil || h.quota.sweeping[id] {
		return busy
	}
	select {
	case h.slots <- struct{}{}:
	default:
		return busy
	}
	h.uploads[id] = c
	return nil
}

// dropUpload closes the connection's upload, if any, and frees its slot.
func (c *conn) dropUpload() {
	up := c.up
	if up == nil {
		return
	}
	c.up = nil
	for _, p := range up.parts {
		if p != nil {
			p.close()
		}
	}
	if up.slot {
		h := c.h
		h.mu.Lock()
		if h.uploads[up.rec.ID] == c {
			delete(h.uploads, up.rec.ID)
			<-h.slots
		}
		h.mu.Unlock()
	}
}

// internal answers a storage failure: the upload is dropped and the terminal retries
// later with a fresh submit, which rescans what is on disk.
func (c *conn) internal(ref string, err error) {
	c.h.m.storageFailures.Add(1)
	c.h.health.failed(c.log, ref, err)
	c.dropUpload()
	e := protocol.Errorf(protocol.CodeInternal, ref, "hub storage failure")
	e.RetryAfterMS = c.h.opt.RetryAfter.Milliseconds()
	c.reply(e)
}

// ownSubmission looks an id up for this terminal; another terminal's submission is
// reported as missing.
func (c *conn) ownSubmission(id string) (*submissionRecord, error) {
	rec, err := c.h.st.submission(id)
	if err != nil || rec == nil || rec.TerminalID != c.term.rec.ID {
		return nil, err
	}
	return rec, nil
}

func (c *conn) handleChunk(frame []byte) {
	h := c.h
	ch, err := protocol.ParseChunk(frame)
	if err != nil {
		h.m.chunksRefused.Add(1)
		c.reply(&protocol.Error{Code: protocol.CodeOf(err), Message: err.Error()})
		return
	}
	up := c.up
	if up == nil || up.rec.ID != ch.ID {
		h.m.chunksRefused.Add(1)
		rec, err := c.ownSubmission(ch.ID)
		switch {
		case err != nil:
			c.internal(ch.ID, err)
		case rec == nil:
			c.reply(protocol.Errorf(protocol.CodeNotFound, ch.ID, "no such submission"))
		case rec.State == stateCommitted:
			c.reply(protocol.Errorf(protocol.CodeUnexpected, ch.ID, "submission already committed"))
		default:
			c.reply(protocol.Errorf(protocol.CodeUnexpected, ch.ID, "send submit for this id first"))
		}
		return
	}
	if ch.Index >= len(up.parts) {
		h.m.chunksRefused.Add(1)
		c.reply(protocol.Errorf(protocol.CodeBadMessage, ch.ID, "no attachment %d", ch.Index))
		return
	}
	p := up.parts[ch.Index]
	if p == nil || ch.Offset != p.offset() {
		h.m.chunksRefused.Add(1)
		e := protocol.Errorf(protocol.CodeBadOffset, ch.ID, "chunk does not start at the next expected offset")
		e.Index = ch.Index
		if p == nil {
			e.Next = up.rec.Attachments[ch.Index].Size
		} else {
			e.Next = p.offset()
		}
		c.reply(e)
		return
	}
	end := p.offset() + int64(len(ch.Data))
	if end > p.length() {
		h.m.chunksRefused.Add(1)
		c.reply(protocol.Errorf(protocol.CodeBadMessage, ch.ID, "chunk runs past the attachment's size"))
		return
	}
	if end < p.length() && len(ch.Data) < protocol.MinChunkData {
		h.m.chunksRefused.Add(1)
		c.reply(protocol.Errorf(protocol.CodeBadMessage, ch.ID, "only the last chunk may be smaller than %d bytes", protocol.MinChunkData))
		return
	}
	if e := h.roomFor(ch.ID, int64(len(ch.Data))); e != nil {
		// Nothing is written: the upload resumes at the same offset once there is room.
		h.m.chunksRefused.Add(1)
		c.reply(e)
		return
	}
	if err := p.append(ch.Data); err != nil {
		c.internal(ch.ID, err)
		return
	}
	h.m.chunksStored.Add(1)
	h.health.ok()
	h.m.chunkBytes.Add(int64(len(ch.Data)))
	if p.offset() == p.length() {
		err := p.finish()
		if errors.Is(err, errChecksum) {
			h.m.checksumFailures.Add(1)
			e := protocol.Errorf(protocol.CodeChecksum, ch.ID, "attachment bytes do not match its sha256; send it again from 0")
			e.Index, e.Next = ch.Index, 0
			c.reply(e)
			return
		}
		if err != nil {
			c.internal(ch.ID, err)
			return
		}
		up.parts[ch.Index] = nil
	}
	c.sendMsg(&protocol.ChunkAck{ID: ch.ID, Index: ch.Index, Next: end})
}

func (c *conn) handleCommit(m *protocol.Commit) {
	h := c.h
	up := c.up
	if up == nil || up.rec.ID != m.ID {
		rec, err := c.ownSubmission(m.ID)
		switch {
		case err != nil:
			c.internal(m.ID, err)
		case rec == nil:
			c.reply(protocol.Errorf(protocol.CodeNotFound, m.ID, "no such submission"))
		case rec.State == stateCommitted:
			h.m.duplicates.Add(1)
			c.sendMsg(rec.ack(true))
		default:
			c.reply(protocol.Errorf(protocol.CodeUnexpected, m.ID, "send submit for this id first"))
		}
		return
	}
	if !up.complete() {
		c.reply(protocol.Errorf(protocol.CodeIncomplete, m.ID, "attachments are not complete"))
		return
	}
	rec, err := h.st.commitSubmission(m.ID, h.opt.Now().UTC())
	if err != nil {
		c.internal(m.ID, err)
		return
	}
	c.dropUpload()
	h.noteClosed(rec.TerminalID, rec.ID)
	h.wakeForwarder()
	h.m.submissions.Add(1)
	h.health.ok()
	c.log.Debug("submission stored", "id", rec.ID, "hub_ref", rec.HubRef, "attachments", len(rec.Attachments))
	c.sendMsg(rec.ack(false))
}

// ownsCode reports whether a tracking code (normalized or as typed) was issued by this
// connection's terminal: its terminal part is the terminal's code.
func (c *conn) ownsCode(code string) bool {
	p, err := tracking.Parse(code)
	return err == nil && p.Terminal == c.term.rec.Code
}

func (c *conn) handleRating(m *protocol.Rating) {
	h := c.h
	// A rating may only speak of this terminal's own submissions. A submission the hub
	// has not seen yet (still in the terminal's outbox) is fine; another terminal's is not.
	if m.TrackingCode != "" && !c.ownsCode(m.TrackingCode) {
		h.m.rejected.Add(1)
		h.m.foreignCodes.Add(1)
		c.reply(protocol.Errorf(protocol.CodeRejected, m.ID, "rating names a tracking code of another terminal"))
		return
	}
	if m.SubmissionID != "" {
		rec, err := h.st.submission(m.SubmissionID)
		if err != nil {
			c.internal(m.ID, err)
			return
		}
		if rec != nil && rec.TerminalID != c.term.rec.ID {
			h.m.rejected.Add(1)
			h.m.foreignCodes.Add(1)
			c.reply(protocol.Errorf(protocol.CodeRejected, m.ID, "rating names a submission of another terminal"))
			return
		}
		if rec != nil && m.TrackingCode != "" && rec.TrackingCode != m.TrackingCode {
			if n, err := tracking.Normalize(m.TrackingCode); err != nil || n != rec.TrackingCode {
				h.m.rejected.Add(1)
				c.reply(protocol.Errorf(protocol.CodeRejected, m.ID, "rating's tracking code is not its submission's"))
				return
			}
		}
	}
	rec := &ratingRecord{
		ID: m.ID, TerminalID: c.term.rec.ID, SubmissionID: m.SubmissionID, TrackingCode: m.TrackingCode,
		Item: m.Item, Stars: m.Stars, Reasons: m.Reasons, CreatedAt: m.CreatedAt,
		Digest: digestOf(m), ReceivedAt: h.opt.Now().UTC(),
	}
	if m.Comment != "" {
		rec.Comment = h.seal.seal([]byte(m.Comment), []byte("rating:"+m.ID))
	}
	out, existed, err := h.st.putRating(rec)
	if err != nil {
		c.internal(m.ID, err)
		return
	}
	if existed {
		if out.TerminalID != rec.TerminalID || out.Digest != rec.Digest {
			h.m.rejected.Add(1)
			c.reply(protocol.Errorf(protocol.CodeConflict, m.ID, "rating id already used for different content"))
			return
		}
		// The first delivery may have stopped between the rating and its case.
		if err := h.followUp(out); err != nil {
			c.internal(m.ID, err)
			return
		}
		h.m.duplicates.Add(1)
		c.sendMsg(out.ack(true))
		return
	}
	if err := h.followUp(out); err != nil {
		c.internal(m.ID, err)
		return
	}
	h.m.ratings.Add(1)
	h.wakeForwarder() // a rating of a submission may be queued for hand-off
	h.health.ok()
	c.sendMsg(out.ack(false))
}
