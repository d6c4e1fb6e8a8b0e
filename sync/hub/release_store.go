package hub

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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
}

var (
	bucketReleaseChunks = []byte("release_chunks") // sha256 "/" big-endian chunk index → bytes
	bucketReleaseBlobs  = []byte("release_blobs")  // sha256 → size (decimal), once every chunk is in
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
