package queue

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode"

	bolt "go.etcd.io/bbolt"

	"github.com/govkiosk/govkiosk/kiosk/tracking"
)

// The identity index lets the query screen find a card holder's receipts after delivery
// has deleted their personal data, without the queue holding the ID number in any form
// that gives it back.
//
// Per submission enqueued with NewSubmission.IdentityNumber the record keeps
//
//	tag = HMAC-SHA256(identityKey, normalizeIdentity(number))
//
// and bktIdentity holds tag ‖ seq → nothing, so a lookup seeks straight to one person's
// entries instead of reading every record. The tag stays as long as the receipt record
// (Options.Retention) and goes with it when it is pruned.
//
// Why keyed and not a plain hash: a resident ID number is 6 region digits (a few thousand
// codes in use), 8 birth-date digits, 3 sequence digits and a check character computed
// from the other 17. That is at most about 3 500 × 36 500 × 1 000 ≈ 10^11 candidates, and
// far fewer once a region and a birth year are guessed: an unkeyed SHA-256 (or one salted
// with a salt stored beside it) of every candidate is an afternoon's work for one GPU, and
// a copied database would hand back every number in it. The HMAC key comes from the
// queue key, which lives outside the data directory, so the database alone gives nothing
// to enumerate against.
//
// Why derived rather than the queue key itself: that key is an AES-GCM key; using the same
// bytes as an HMAC key in a second construction is how cross-protocol weaknesses start.
// HKDF with its own label gives an independent key, and a tag reveals nothing about the
// AES key. Each terminal has its own queue key, so the same person has unrelated tags on
// two terminals.
//
// What the tag still tells whoever holds the database without the key: which receipts
// belong to the same person, within Retention on this terminal. It does not tell who.

// identityKeyInfo labels the HKDF derivation of the identity index key from the queue key.
// Changing it orphans every stored tag (they simply stop matching).
const identityKeyInfo = "govkiosk/queue/v1 identity index key"

// tagSize is the length of an identity tag: a full HMAC-SHA256. Truncating would save
// little and make unrelated people collide sooner.
const tagSize = sha256.Size

// IdentityLookupLimit is the most receipts LookupIdentity returns: the newest ones. It
// bounds the work of one lookup and what one card shows on screen.
const IdentityLookupLimit = 20

// maxIdentityLen bounds what LookupIdentity accepts; every card's number is shorter.
const maxIdentityLen = 64

// deriveIdentityKey derives the HMAC key of the identity index from the queue key.
func deriveIdentityKey(queueKey []byte) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, queueKey, nil, identityKeyInfo, sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("%w: derive the identity index key: %v", ErrKey, err)
	}
	return k, nil
}

// codePermV1 names the tracking-code permutation stored in metaCodePerm.
const codePermV1 = "aes-feistel-v1"

// codePermInfo separates the permutation key from the queue's other derived keys.
var codePermInfo = "govkiosk queue tracking-code permutation v1"

// deriveCodePermuter makes the queue's tracking-code permutation from its key, so a
// database rebuilt with the same key (and a raised SeqFloor) shuffles the same way.
func deriveCodePermuter(queueKey []byte) (*tracking.Permuter, error) {
	k, err := hkdf.Key(sha256.New, queueKey, nil, codePermInfo, 16)
	if err != nil {
		return nil, fmt.Errorf("%w: derive the tracking-code key: %v", ErrKey, err)
	}
	return tracking.NewPermuter(k)
}

// normalizeIdentity is the form of an ID number that is hashed: white space removed
// anywhere, ASCII letters upper-cased (a check character typed as 'x' is 'X'). It is part
// of the on-disk format: changing it makes stored tags stop matching.
func normalizeIdentity(n string) string {
	var b strings.Builder
	b.Grow(len(n))
	for _, r := range n {
		switch {
		case unicode.IsSpace(r):
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// identityTag is the stored tag for an ID number, nil when there is none.
func (q *Queue) identityTag(number string) []byte {
	n := normalizeIdentity(number)
	if n == "" || len(n) > maxIdentityLen || q.idKey == nil {
		return nil // nothing LookupIdentity could ever be asked for
	}
	return identityMAC(q.idKey, n)
}

func identityMAC(key []byte, normalized string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(normalized))
	return m.Sum(nil)
}

// identityIndexKey is the key in bktIdentity of the record seq with this tag, nil when
// the record has no tag (or one of the wrong size, which Check reports).
func identityIndexKey(tag []byte, seq uint64) []byte {
	if len(tag) != tagSize {
		return nil
	}
	k := make([]byte, 0, len(tag)+8)
	k = append(k, tag...)
	return binary.BigEndian.AppendUint64(k, seq)
}

// LookupIdentity returns the receipts of the submissions made with this ID number
// (NewSubmission.IdentityNumber) that are still within Retention, newest first, at most
// IdentityLookupLimit of them. The number is compared as normalised (white space ignored,
// 'x' as 'X'), never stored. Submissions stored without a number, or by a version of the
// queue that did not keep tags, do not match.
//
// It returns ErrNotFound when nothing matches, ErrInvalid for an empty or overlong number,
// and ErrKey for a queue opened read-only without its key (which cannot compute tags).
func (q *Queue) LookupIdentity(idNumber string) ([]*Receipt, error) {
	if err := q.enter(false); err != nil {
		return nil, err
	}
	defer q.leave()
	n := normalizeIdentity(idNumber)
	if n == "" || len(n) > maxIdentityLen {
		return nil, fmt.Errorf("%w: lookup by ID number: empty or longer than %d characters", ErrInvalid, maxIdentityLen)
	}
	if q.idKey == nil {
		return nil, fmt.Errorf("%w: lookup by ID number needs the key", ErrKey)
	}
	tag := identityMAC(q.idKey, n)
	var out []*Receipt
	err := q.view(func(tx *bolt.Tx) error {
		idx, items := tx.Bucket(bktIdentity), tx.Bucket(bktItems)
		if idx == nil || items == nil {
			return nil // a database no version with the index has written to yet
		}
		// Newest first: from the last entry with this tag backwards. Sequence numbers only
		// grow, so the highest is the newest.
		c := idx.Cursor()
		last := identityIndexKey(tag, math.MaxUint64)
		k, _ := c.Seek(last)
		switch {
		case k == nil:
			k, _ = c.Last()
		case !bytes.Equal(k, last):
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, tag) && len(out) < IdentityLookupLimit; k, _ = c.Prev() {
			if len(k) != tagSize+8 {
				return fmt.Errorf("%w: identity index key of %d bytes", ErrCorrupt, len(k))
			}
			v := items.Get(k[tagSize:])
			if v == nil {
				continue // stale: its record was pruned by an older version; Open removes it
			}
			r, err := decodeRecord(v)
			if err != nil {
				return err
			}
			if !hmac.Equal(r.IdentityTag, tag) {
				continue // stale in the same way; the record is what counts
			}
			out = append(out, r.toReceipt())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue: lookup by ID number: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no receipts for this ID number", ErrNotFound)
	}
	return out, nil
}

// repairIdentityIndex makes bktIdentity agree with the records: entries whose record is
// gone or carries another tag are deleted, and a tagged record without its entry gets one.
// Only a version of the queue older than the index (which neither kept nor pruned it) or
// damage can make them disagree. It returns how many entries it changed.
func repairIdentityIndex(tx *bolt.Tx) (int, error) {
	idx, items := tx.Bucket(bktIdentity), tx.Bucket(bktItems)
	var stale [][]byte
	if err := idx.ForEach(func(k, _ []byte) error {
		if len(k) != tagSize+8 {
			stale = append(stale, bytes.Clone(k))
			return nil
		}
		v := items.Get(k[tagSize:])
		if v == nil {
			stale = append(stale, bytes.Clone(k))
			return nil
		}
		r, err := decodeRecord(v)
		if err != nil {
			return err
		}
		if !bytes.Equal(r.IdentityTag, k[:tagSize]) {
			stale = append(stale, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return 0, err
	}
	for _, k := range stale {
		if err := idx.Delete(k); err != nil {
			return 0, err
		}
	}
	var missing [][]byte
	if err := items.ForEach(func(_, v []byte) error {
		r, err := decodeRecord(v)
		if err != nil {
			return err
		}
		if k := identityIndexKey(r.IdentityTag, r.Seq); k != nil && idx.Get(k) == nil {
			missing = append(missing, k)
		}
		return nil
	}); err != nil {
		return 0, err
	}
	for _, k := range missing {
		if err := idx.Put(k, nil); err != nil {
			return 0, err
		}
	}
	return len(stale) + len(missing), nil
}
