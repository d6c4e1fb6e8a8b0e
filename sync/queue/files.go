package queue

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	dbName   = "queue.db"
	filesDir = "files"
	// tmpPrefix starts the name of every file still being written; Open deletes them.
	tmpPrefix = ".tmp-"
	fileExt   = ".att"
)

// validID is what a caller-chosen submission id may look like: it becomes part of file
// names, so nothing that could climb out of the directory.
var validID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// attachmentName is the final file name of attachment i of item id. The random part
// keeps a repeated Enqueue of the same id from overwriting the stored item's files.
func attachmentName(id string, i int) string {
	var r [4]byte
	if _, err := rand.Read(r[:]); err != nil {
		panic("queue: crypto/rand: " + err.Error())
	}
	return id + "." + strconv.Itoa(i) + "." + hex.EncodeToString(r[:]) + fileExt
}

// writeFileDurably writes data to dir/name through a temporary file that is fsynced
// before it is renamed, so the final name never refers to a partial file. The caller
// fsyncs dir after its last rename. wrap, when set (tests), wraps the file's writer.
func writeFileDurably(dir, name string, data []byte, wrap func(io.Writer) io.Writer) (err error) {
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	var w io.Writer = f
	if wrap != nil {
		w = wrap(f)
	}
	if _, err = w.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, name))
}

// syncDir fsyncs a directory so the names created or renamed in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// mkdirDurable creates dir (0700) if needed and, when it did, fsyncs its parent so the
// new directory entry survives a power cut.
func mkdirDurable(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// freeBytes is the space available to this (unprivileged) process on dir's filesystem.
func freeBytes(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("queue: statfs %s: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// noSpace reports whether err is the filesystem running out of space or quota.
func noSpace(err error) bool {
	return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT)
}

// diskErr turns a storage error into ErrDiskFull when it is one, keeping the cause.
func diskErr(op string, err error) error {
	if noSpace(err) {
		return fmt.Errorf("%w: %s: %w", ErrDiskFull, op, err)
	}
	return fmt.Errorf("queue: %s: %w", op, err)
}

// isTemp reports whether a name in the files directory is an unfinished write.
func isTemp(name string) bool { return strings.HasPrefix(name, tmpPrefix) }
