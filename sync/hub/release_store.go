package hub

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	bolt "go.etcd.io/bbolt"
)

// Release packages live in the store, so that every replica of a hub serves them: the
// replica that received the upload is not the only one a terminal may download from.
// A package is kept in chunks (a .deb is up to MaxRelease, too big for one value or one
// write) and becomes visible only when its last chunk is in. Each replica keeps a copy
// on its own disk as a cache (Dir/releases), filled from the store on first download.

// releaseChunk is the size of a stored chunk of a release package.
const releaseChunk = 1 << 20

// releaseStorage is the release packages' part of storage.
type releaseStorage interface {
	// putReleaseBlob stores size bytes read from src as the package whose SHA-256 is
	// sum (hex). The caller has verified them. Storing a package again is harmless.
	putReleaseBlob(sum string, size int64, src io.Reader) error
	// releaseBlob writes a stored package to dst; ErrNotFound when it is not stored
	// (or not completely).
	releaseBlob(sum string, dst io.Writer) error

	// recordRelease notes that a package was published on a channel. The same package
	// published again on the same channel keeps one entry, with the later time.
	recordRelease(e releaseEntry) error
	// releaseEntries returns every recorded publication.
	releaseEntries() ([]releaseEntry, error)
	// storedReleases returns the SHA-256 of every package with anything stored, complete
	// or not (a bbolt upload cut half-way leaves chunks).
	storedReleases() ([]string, error)
	// dropRelease deletes a package, whole, and its publications; one not stored is no
	// error.
	dropRelease(sum string) error
}

// releaseEntry is one publication of a package on a channel.
type releaseEntry struct {
	Channel string    `json:"channel"`
	SHA256  string    `json:"sha256"`
	Version string    `json:"version"`
	At      time.Time `json:"at"`
}

var (
	bucketReleaseChunks = []byte("release_chunks")  // sha256 "/" big-endian chunk index → bytes
	bucketReleaseBlobs  = []byte("release_blobs")   // sha256 → size (decimal), once every chunk is in
	bucketReleaseHist   = []byte("release_history") // channel "/" sha256 → releaseEntry
)

func releaseChunkKey(sum string, i uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte(sum+"/"), i)
}

// readChunks calls put with each chunk of size bytes read from src.
func readChunks(size int64, src io.Reader, put func(i uint32, chunk []byte) error) error {
	buf := make([]byte, releaseChunk)
	var i uint32
	for left := size; left > 0; i++ {
		n := int64(len(buf))
		if left < n {
			n = left
		}
		if _, err := io.ReadFull(src, buf[:n]); err != nil {
			return fmt.Errorf("hub: read release package: %w", err)
		}
		if err := put(i, buf[:n]); err != nil {
			return err
		}
		left -= n
	}
	return nil
}

func (s *store) putReleaseBlob(sum string, size int64, src io.Reader) error {
	// One write per chunk: bbolt holds a transaction's pages in memory, and a package may
	// be hundreds of megabytes. Until the last write names it complete, no reader sees it.
	err := readChunks(size, src, func(i uint32, chunk []byte) error {
		return s.db.Update(func(tx *bolt.Tx) error {
			b, err := consoleBucket(tx, bucketReleaseChunks)
			if err != nil {
				return err
			}
			return b.Put(releaseChunkKey(sum, i), chunk)
		})
	})
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := consoleBucket(tx, bucketReleaseBlobs)
		if err != nil {
			return err
		}
		return b.Put([]byte(sum), []byte(strconv.FormatInt(size, 10)))
	})
}

func (s *store) releaseBlob(sum string, dst io.Writer) error {
	// A read transaction sees one consistent state; bbolt's values stay valid only
	// inside it, so each chunk is written out there.
	return s.db.View(func(tx *bolt.Tx) error {
		blobs := tx.Bucket(bucketReleaseBlobs)
		chunks := tx.Bucket(bucketReleaseChunks)
		if blobs == nil || chunks == nil {
			return ErrNotFound
		}
		raw := blobs.Get([]byte(sum))
		if raw == nil {
			return ErrNotFound
		}
		size, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return fmt.Errorf("hub: corrupt release record %s: %w", sum, err)
		}
		var i uint32
		for left := size; left > 0; i++ {
			c := chunks.Get(releaseChunkKey(sum, i))
			if len(c) == 0 || int64(len(c)) > left {
				return fmt.Errorf("hub: release %s: chunk %d missing or too long", sum, i)
			}
			if _, err := dst.Write(c); err != nil {
				return err
			}
			left -= int64(len(c))
		}
		return nil
	})
}

func (s *store) recordRelease(e releaseEntry) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := consoleBucket(tx, bucketReleaseHist)
		if err != nil {
			return err
		}
		key := []byte(e.Channel + "/" + e.SHA256)
		var old releaseEntry
		if ok, err := getJSON(b, key, &old); err != nil {
			return err
		} else if ok && !e.At.After(old.At) {
			return nil
		}
		return putJSON(b, key, e)
	})
}

func (s *store) releaseEntries() ([]releaseEntry, error) {
	var out []releaseEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReleaseHist)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var e releaseEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("hub: corrupt release entry %q: %w", k, err)
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

func (s *store) storedReleases() ([]string, error) {
	seen := map[string]bool{}
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketReleaseBlobs); b != nil {
			if err := b.ForEach(func(k, _ []byte) error { seen[string(k)] = true; return nil }); err != nil {
				return err
			}
		}
		b := tx.Bucket(bucketReleaseChunks)
		if b == nil {
			return nil
		}
		// One seek per package: "0" sorts right after "/", so it skips the package's
		// remaining chunks.
		c := b.Cursor()
		for k, _ := c.First(); k != nil; {
			sum, _, ok := bytes.Cut(k, []byte("/"))
			if !ok {
				k, _ = c.Next()
				continue
			}
			seen[string(sum)] = true
			k, _ = c.Seek(append(slices.Clone(sum), '0'))
		}
		return nil
	})
	out := slices.Sorted(maps.Keys(seen))
	return out, err
}

func (s *store) dropRelease(sum string) error {
	// One transaction: readers see the package whole or not at all. Deleting frees
	// pages without reading them into memory.
	return s.db.Update(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketReleaseBlobs); b != nil {
			if err := b.Delete([]byte(sum)); err != nil {
				return err
			}
		}
		if b := tx.Bucket(bucketReleaseChunks); b != nil {
			prefix := []byte(sum + "/")
			var keys [][]byte
			c := b.Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				keys = append(keys, slices.Clone(k))
			}
			for _, k := range keys {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
		}
		if b := tx.Bucket(bucketReleaseHist); b != nil {
			var keys [][]byte
			err := b.ForEach(func(k, _ []byte) error {
				if bytes.HasSuffix(k, []byte("/"+sum)) {
					keys = append(keys, slices.Clone(k))
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, k := range keys {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// In PostgreSQL (migrations/0009_release_blobs.sql) the chunks and the completion row
// are written in one transaction.

func (s *pgStore) putReleaseBlob(sum string, size int64, src io.Reader) error {
	// A long upload must not run into the store's short per-call timeout: allow about
	// a second per chunk on top.
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout+releaseTimePerChunk*time.Duration(1+size/releaseChunk))
	defer cancel()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM release_blobs WHERE sum = $1)", sum).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		if _, err := tx.Exec(ctx, "DELETE FROM release_chunks WHERE sum = $1", sum); err != nil {
			return err
		}
		err := readChunks(size, src, func(i uint32, chunk []byte) error {
			_, err := tx.Exec(ctx, "INSERT INTO release_chunks (sum, idx, data) VALUES ($1, $2, $3)", sum, int64(i), chunk)
			return err
		})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "INSERT INTO release_blobs (sum, size) VALUES ($1, $2) ON CONFLICT DO NOTHING", sum, size)
		return err
	})
}

// releaseTimePerChunk is the time allowed per chunk when a package is moved.
const releaseTimePerChunk = time.Second

func (s *pgStore) releaseBlob(sum string, dst io.Writer) error {
	var size int64
	ctx, cancel := s.ctx()
	err := s.pool.QueryRow(ctx, "SELECT size FROM release_blobs WHERE sum = $1", sum).Scan(&size)
	cancel()
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	// Chunk by chunk, so a large package is never held whole in memory.
	n := uint32((size + releaseChunk - 1) / releaseChunk)
	for i := range n {
		var c []byte
		ctx, cancel := s.ctx()
		err := s.pool.QueryRow(ctx, "SELECT data FROM release_chunks WHERE sum = $1 AND idx = $2", sum, int64(i)).Scan(&c)
		cancel()
		if err != nil {
			return fmt.Errorf("hub: release %s chunk %d: %w", sum, i, err)
		}
		if _, err := dst.Write(c); err != nil {
			return err
		}
	}
	return nil
}

// PostgreSQL: migrations/0014_release_history.sql.

func (s *pgStore) recordRelease(e releaseEntry) error {
	ctx, cancel := s.ctx()
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO release_history (channel, sum, version, published) VALUES ($1, $2, $3, $4)
		ON CONFLICT (channel, sum) DO UPDATE SET published = EXCLUDED.published, version = EXCLUDED.version
		WHERE release_history.published < EXCLUDED.published`, e.Channel, e.SHA256, e.Version, e.At)
	return err
}

func (s *pgStore) releaseEntries() ([]releaseEntry, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT channel, sum, version, published FROM release_history")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (releaseEntry, error) {
		var e releaseEntry
		err := row.Scan(&e.Channel, &e.SHA256, &e.Version, &e.At)
		e.At = e.At.UTC()
		return e, err
	})
}

func (s *pgStore) storedReleases() ([]string, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT sum FROM release_blobs UNION SELECT DISTINCT sum FROM release_chunks ORDER BY 1")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (s *pgStore) dropRelease(sum string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range []string{
			"DELETE FROM release_blobs WHERE sum = $1",
			"DELETE FROM release_chunks WHERE sum = $1",
			"DELETE FROM release_history WHERE sum = $1",
		} {
			if _, err := tx.Exec(ctx, q, sum); err != nil {
				return err
			}
		}
		return nil
	})
}
