// Package atomicfile replaces files so that a crash or a power cut leaves either the old
// content or the new one under the name, never a mix or an empty file: it writes a
// temporary file beside the target, fsyncs it, renames it over the target and fsyncs the
// directory (the rename is only durable once the directory is).
//
// It is for small files written whole (configuration, keys, credentials, bundles). Bulk
// data with its own batching of directory syncs (the offline queue's attachments) does
// its own.
package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
)

// WriteFile replaces path with data, created with perm (before umask is not involved: the
// mode is set explicitly, so a 0600 secret is never briefly readable by others).
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	})
}

// Write replaces path with what fill writes. If fill or any step fails, path is left as
// it was and the temporary file is removed.
func Write(path string, perm os.FileMode, fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
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
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory, making the names created, renamed or removed in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
