package hub

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/govkiosk/govkiosk/internal/atomicfile"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Attachment files live at DIR/attachments/TERMINAL/SUBMISSION/INDEX.part while they
// arrive and are renamed to INDEX.bin once their SHA-256 matches. A file is a sequence of
// sealed records, one per chunk:
//
//	4 bytes  plaintext length, big-endian
//	12 bytes GCM nonce
//	n+16     ciphertext and tag; AAD = submission id, 0x00, index (2 bytes), offset (8 bytes)
//
// A torn last record (power cut mid-write) fails to read or to authenticate; scanning
// truncates it, and the upload resumes at the end of the last good record.

const recordHeader = 4 + 12

// attachmentStore keeps attachment files.
type attachmentStore struct {
	dir  string
	seal *sealer
	// fsync each chunk before acknowledging it. Off only for load tests that want to
	// measure the protocol rather than the disk.
	syncChunks bool
}

func (a *attachmentStore) subDir(terminalID, id string) string {
	return filepath.Join(a.dir, terminalID, id)
}

func (a *attachmentStore) path(terminalID, id string, index int, ext string) string {
	return filepath.Join(a.subDir(terminalID, id), strconv.Itoa(index)+ext)
}

// complete reports whether attachment index has been received and verified.
func (a *attachmentStore) complete(terminalID, id string, index int, size int64) bool {
	if size == 0 {
		return true
	}
	_, err := os.Stat(a.path(terminalID, id, index, ".bin"))
	return err == nil
}

// prepare creates the submission's directory durably.
func (a *attachmentStore) prepare(terminalID, id string) error {
	dir := a.subDir(terminalID, id)
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("hub: attachment directory: %w", err)
	}
	for _, d := range []string{filepath.Dir(dir), a.dir} {
		if err := atomicfile.SyncDir(d); err != nil {
			return fmt.Errorf("hub: attachment directory: %w", err)
		}
	}
	return nil
}

// partFile is one attachment being received.
type partFile struct {
	store *attachmentStore
	f     *os.File
	path  string
	id    string
	index int
	size  int64
	sum   string
	next  int64     // plaintext bytes stored and verified
	pos   int64     // file position after the last good record
	h     hash.Hash // SHA-256 of the first next bytes
	rec   []byte    // reused record buffer
}

// openPart opens (or creates) the part file and scans it to find where the upload
// continues, truncating a torn tail.
func (a *attachmentStore) openPart(terminalID, id string, index int, meta protocol.Attachment) (attachmentPart, error) {
	path := a.path(terminalID, id, index, ".part")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("hub: open attachment: %w", err)
	}
	p := &partFile{store: a, f: f, path: path, id: id, index: index, size: meta.Size, sum: meta.SHA256, h: sha256.New()}
	if err := p.scan(); err != nil {
		f.Close()
		return nil, err
	}
	return p, nil
}

func (p *partFile) aad(offset int64) []byte {
	b := make([]byte, 0, len(p.id)+11)
	b = append(b, p.id...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(p.index))
	return binary.BigEndian.AppendUint64(b, uint64(offset))
}

func (p *partFile) scan() error {
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("hub: scan attachment: %w", err)
	}
	var hdr [recordHeader]byte
	for {
		if _, err := io.ReadFull(p.f, hdr[:]); err != nil {
			break // clean end or a torn header
		}
		n := int64(binary.BigEndian.Uint32(hdr[:4]))
		if n == 0 || n > protocol.MaxChunkData || p.next+n > p.size {
			break
		}
		body := make([]byte, n+16)
		if _, err := io.ReadFull(p.f, body); err != nil {
			break
		}
		plain, err := p.store.seal.aead.Open(nil, hdr[4:], body, p.aad(p.next))
		if err != nil {
			break
		}
		p.h.Write(plain)
		p.next += n
		p.pos += recordHeader + n + 16
	}
	if err := p.f.Truncate(p.pos); err != nil {
		return fmt.Errorf("hub: truncate attachment: %w", err)
	}
	if _, err := p.f.Seek(p.pos, io.SeekStart); err != nil {
		return fmt.Errorf("hub: scan attachment: %w", err)
	}
	return nil
}

func (p *partFile) offset() int64 { return p.next }
func (p *partFile) length() int64 { return p.size }

// append stores one chunk that starts at p.next.
func (p *partFile) append(data []byte) error {
	nonceSize := p.store.seal.aead.NonceSize()
	need := recordHeader + len(data) + 16
	if cap(p.rec) < need {
		p.rec = make([]byte, 0, recordHeader+protocol.MaxChunkData+16)
	}
	rec := p.rec[:recordHeader]
	binary.BigEndian.PutUint32(rec, uint32(len(data)))
	if _, err := rand.Read(rec[4 : 4+nonceSize]); err != nil {
		return err
	}
	rec = p.store.seal.aead.Seal(rec, rec[4:4+nonceSize], data, p.aad(p.next))
	if _, err := p.f.Write(rec); err != nil {
		// Leave the file as it was, so the next offset stays true.
		p.f.Truncate(p.pos)
		p.f.Seek(p.pos, io.SeekStart)
		return fmt.Errorf("hub: write attachment: %w", err)
	}
	if p.store.syncChunks {
		if err := p.f.Sync(); err != nil {
			return fmt.Errorf("hub: sync attachment: %w", err)
		}
	}
	p.pos += int64(len(rec))
	p.next += int64(len(data))
	p.h.Write(data)
	return nil
}

// errChecksum means the received bytes do not match the announced SHA-256; the part file
// has been emptied.
var errChecksum = errors.New("hub: attachment checksum mismatch")

// finish verifies a complete attachment and makes it permanent (fsync, rename, fsync the
// directory). On a checksum mismatch it empties the file and returns errChecksum.
func (p *partFile) finish() error {
	if hex.EncodeToString(p.h.Sum(nil)) != p.sum {
		if err := p.reset(); err != nil {
			return err
		}
		return errChecksum
	}
	if err := p.f.Sync(); err != nil {
		return fmt.Errorf("hub: sync attachment: %w", err)
	}
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("hub: close attachment: %w", err)
	}
	p.f = nil
	final := p.path[:len(p.path)-len(".part")] + ".bin"
	if err := os.Rename(p.path, final); err != nil {
		return fmt.Errorf("hub: keep attachment: %w", err)
	}
	return atomicfile.SyncDir(filepath.Dir(final))
}

func (p *partFile) reset() error {
	if err := p.f.Truncate(0); err != nil {
		return fmt.Errorf("hub: reset attachment: %w", err)
	}
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("hub: reset attachment: %w", err)
	}
	p.next, p.pos = 0, 0
	p.h.Reset()
	return nil
}

func (p *partFile) close() {
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
}

// read returns a stored attachment's plaintext.
func (a *attachmentStore) read(terminalID, id string, index int, meta protocol.Attachment) ([]byte, error) {
	if meta.Size == 0 {
		return []byte{}, nil
	}
	b, err := os.ReadFile(a.path(terminalID, id, index, ".bin"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("hub: read attachment: %w", err)
	}
	p := &partFile{store: a, id: id, index: index}
	out := make([]byte, 0, meta.Size)
	for len(b) > 0 {
		if len(b) < recordHeader {
			return nil, fmt.Errorf("hub: attachment %s/%d: torn record", id, index)
		}
		n := int(binary.BigEndian.Uint32(b[:4]))
		if len(b) < recordHeader+n+16 {
			return nil, fmt.Errorf("hub: attachment %s/%d: torn record", id, index)
		}
		plain, err := a.seal.aead.Open(nil, b[4:recordHeader], b[recordHeader:recordHeader+n+16], p.aad(int64(len(out))))
		if err != nil {
			return nil, fmt.Errorf("hub: attachment %s/%d: %w", id, index, err)
		}
		out = append(out, plain...)
		b = b[recordHeader+n+16:]
	}
	return out, nil
}

// drop deletes an abandoned submission's attachment directory.
func (a *attachmentStore) drop(terminalID, id string) (int64, error) {
	dir := a.subDir(terminalID, id)
	var n int64
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("hub: drop attachments: %w", err)
	}
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return n, fmt.Errorf("hub: drop attachments: %w", err)
	}
	return n, atomicfile.SyncDir(filepath.Dir(dir))
}
