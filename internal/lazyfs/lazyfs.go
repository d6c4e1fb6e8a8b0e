// Package lazyfs is a FUSE file system for power-loss tests, in the spirit of LazyFS: it
// passes everything through to a backing directory but remembers, for every file and
// directory changed since it was last fsynced, what the disk held at that fsync. Cut
// then puts the backing directory back to that state — writes, truncations and new
// names that were never synced are gone, as after a power cut with a volatile cache —
// and unmounts. The program under test then reopens the backing directory directly.
//
// What it models: file data and size are durable only after fsync/fdatasync of the
// file; a new name (create, rename target) only after fsync of its directory. What it
// does not: unsynced unlinks and the source side of a rename are taken as durable, and
// writes are not torn within a single write call. It is for tests only and needs
// /dev/fuse and the right to mount.
package lazyfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// FS is a mounted lazy file system.
type FS struct {
	backing, mnt string
	server       *fuse.Server

	mu sync.Mutex
	// synced holds, for each file written since its last fsync, its content then (nil
	// slice with existed=false: it did not exist).
	synced map[string]image
	// newNames holds, per directory changed since its last fsync, the names created in it.
	newNames map[string]map[string]bool
	dead     bool
}

type image struct {
	data    []byte
	existed bool
}

// Mount mounts a lazy view of backing at mnt. ErrUnavailable means this machine cannot
// mount FUSE file systems (no /dev/fuse, no permission).
func Mount(backing, mnt string) (*FS, error) {
	if _, err := os.Stat("/dev/fuse"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(backing, &st); err != nil {
		return nil, err
	}
	l := &FS{backing: backing, mnt: mnt, synced: map[string]image{}, newNames: map[string]map[string]bool{}}
	root := &fs.LoopbackRoot{Path: backing, Dev: uint64(st.Dev)}
	// Every node below the root becomes a *node through WrapChild.
	rootNode := &node{LoopbackNode: &fs.LoopbackNode{RootData: root}, l: l}
	root.RootNode = rootNode
	srv, err := fs.Mount(mnt, rootNode, &fs.Options{MountOptions: fuse.MountOptions{FsName: "lazyfs", Name: "lazyfs"}})
	if err != nil {
		return nil, fmt.Errorf("%w: mount: %v", ErrUnavailable, err)
	}
	l.server = srv
	return l, nil
}

// ErrUnavailable means FUSE cannot be used here.
var ErrUnavailable = errors.New("lazyfs: FUSE unavailable")

// Cut is the power cut: from now on every operation fails, unsynced changes are undone
// in the backing directory, and the file system is unmounted (lazily: the program under
// test may still hold files open). It returns how many files and names were rolled back.
func (l *FS) Cut() (files, names int, err error) {
	l.mu.Lock()
	l.dead = true
	for path, img := range l.synced {
		if !img.existed {
			if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				err = errors.Join(err, rerr)
			}
		} else if werr := os.WriteFile(path, img.data, 0o600); werr != nil {
			err = errors.Join(err, werr)
		}
		files++
	}
	for dir, set := range l.newNames {
		for name := range set {
			if rerr := os.RemoveAll(filepath.Join(dir, name)); rerr == nil {
				names++
			}
		}
	}
	l.synced, l.newNames = map[string]image{}, map[string]map[string]bool{}
	l.mu.Unlock()
	if uerr := exec.Command("fusermount3", "-u", "-z", l.mnt).Run(); uerr != nil {
		err = errors.Join(err, l.server.Unmount())
	}
	return files, names, err
}

// Unmount unmounts without a cut.
func (l *FS) Unmount() error { return l.server.Unmount() }

// remember records what path held at its last sync, before its first change since.
func (l *FS) remember(path string) syscall.Errno {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead {
		return syscall.EIO
	}
	if _, ok := l.synced[path]; ok {
		return 0
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		l.synced[path] = image{data: data, existed: true}
	case errors.Is(err, os.ErrNotExist):
		l.synced[path] = image{}
	default:
		return fs.ToErrno(err)
	}
	return 0
}

func (l *FS) synced_(path string) syscall.Errno {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead {
		return syscall.EIO
	}
	delete(l.synced, path)
	return 0
}

func (l *FS) named(dir, name string) syscall.Errno {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead {
		return syscall.EIO
	}
	set := l.newNames[dir]
	if set == nil {
		set = map[string]bool{}
		l.newNames[dir] = set
	}
	set[name] = true
	return 0
}

func (l *FS) dirSynced(dir string) syscall.Errno {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead {
		return syscall.EIO
	}
	delete(l.newNames, dir)
	return 0
}

func (l *FS) alive() syscall.Errno {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead {
		return syscall.EIO
	}
	return 0
}

// node is a loopback node that tells the FS about changes and syncs.
type node struct {
	*fs.LoopbackNode
	l *FS
}

// WrapChild makes each node the loopback creates under this one a *node as well.
func (n *node) WrapChild(_ context.Context, ops fs.InodeEmbedder) fs.InodeEmbedder {
	return &node{LoopbackNode: ops.(*fs.LoopbackNode), l: n.l}
}

func (n *node) fullPath() string {
	return filepath.Join(n.RootData.Path, n.Path(n.Root()))
}

var (
	_ fs.NodeWrapChilder = (*node)(nil)
	_ fs.NodeOpener      = (*node)(nil)
	_ fs.NodeCreater     = (*node)(nil)
	_ fs.NodeRenamer     = (*node)(nil)
	_ fs.NodeSetattrer   = (*node)(nil)
	_ fs.NodeFsyncer     = (*node)(nil)
)

func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if e := n.l.alive(); e != 0 {
		return nil, 0, e
	}
	p := n.fullPath()
	if flags&syscall.O_TRUNC != 0 {
		if e := n.l.remember(p); e != 0 {
			return nil, 0, e
		}
	}
	fh, ff, e := n.LoopbackNode.Open(ctx, flags)
	if e != 0 {
		return nil, 0, e
	}
	return &file{FileHandle: fh, path: p, l: n.l}, ff, 0
}

func (n *node) Create(ctx context.Context, name string, flags, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	dir := n.fullPath()
	p := filepath.Join(dir, name)
	if e := n.l.remember(p); e != 0 {
		return nil, nil, 0, e
	}
	if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
		n.l.named(dir, name)
	}
	in, fh, ff, e := n.LoopbackNode.Create(ctx, name, flags, mode, out)
	if e != 0 {
		return nil, nil, 0, e
	}
	return in, &file{FileHandle: fh, path: p, l: n.l}, ff, 0
}

func (n *node) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	if e := n.l.alive(); e != 0 {
		return e
	}
	np := newParent.EmbeddedInode()
	newDir := filepath.Join(n.RootData.Path, np.Path(n.Root()))
	// The data moves with the name: what was unsynced under the old name stays so.
	old := filepath.Join(n.fullPath(), name)
	target := filepath.Join(newDir, newName)
	n.l.mu.Lock()
	if img, ok := n.l.synced[old]; ok {
		delete(n.l.synced, old)
		n.l.synced[target] = img
	}
	n.l.mu.Unlock()
	if e := n.l.named(newDir, newName); e != 0 {
		return e
	}
	return n.LoopbackNode.Rename(ctx, name, newParent, newName, flags)
}

func (n *node) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if _, ok := in.GetSize(); ok {
		if e := n.l.remember(n.fullPath()); e != 0 {
			return e
		}
	}
	if lf, ok := f.(*file); ok {
		f = lf.FileHandle
	}
	return n.LoopbackNode.Setattr(ctx, f, in, out)
}

// Fsync on a directory (FSYNCDIR lands here) makes its new names durable; on a file,
// its data.
func (n *node) Fsync(ctx context.Context, f fs.FileHandle, flags uint32) syscall.Errno {
	p := n.fullPath()
	if n.IsDir() {
		return n.l.dirSynced(p)
	}
	if lf, ok := f.(*file); ok {
		return lf.Fsync(ctx, flags)
	}
	return n.l.synced_(p)
}

// file passes I/O through, remembering the synced image before the first write.
type file struct {
	fs.FileHandle
	path string
	l    *FS
}

func (f *file) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	if e := f.l.remember(f.path); e != 0 {
		return 0, e
	}
	return f.FileHandle.(fs.FileWriter).Write(ctx, data, off)
}

func (f *file) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if e := f.l.alive(); e != 0 {
		return nil, e
	}
	return f.FileHandle.(fs.FileReader).Read(ctx, dest, off)
}

func (f *file) Fsync(ctx context.Context, flags uint32) syscall.Errno {
	if e := f.FileHandle.(fs.FileFsyncer).Fsync(ctx, flags); e != 0 {
		return e
	}
	return f.l.synced_(f.path)
}

func (f *file) Flush(ctx context.Context) syscall.Errno {
	if fl, ok := f.FileHandle.(fs.FileFlusher); ok {
		return fl.Flush(ctx)
	}
	return 0
}

func (f *file) Release(ctx context.Context) syscall.Errno {
	if r, ok := f.FileHandle.(fs.FileReleaser); ok {
		return r.Release(ctx)
	}
	return 0
}

func (f *file) Getattr(ctx context.Context, out *fuse.AttrOut) syscall.Errno {
	if g, ok := f.FileHandle.(fs.FileGetattrer); ok {
		return g.Getattr(ctx, out)
	}
	return syscall.ENOSYS
}

func (f *file) Lseek(ctx context.Context, off uint64, whence uint32) (uint64, syscall.Errno) {
	if s, ok := f.FileHandle.(fs.FileLseeker); ok {
		return s.Lseek(ctx, off, whence)
	}
	return 0, syscall.ENOSYS
}

func (f *file) Allocate(ctx context.Context, off, size uint64, mode uint32) syscall.Errno {
	if e := f.l.remember(f.path); e != 0 {
		return e
	}
	if a, ok := f.FileHandle.(fs.FileAllocater); ok {
		return a.Allocate(ctx, off, size, mode)
	}
	return syscall.ENOSYS
}

// OpendirHandle wraps the directory handle so that an fsync of the directory (which
// FUSE sends to the handle) makes its new names durable.
func (n *node) OpendirHandle(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if e := n.l.alive(); e != 0 {
		return nil, 0, e
	}
	fh, ff, e := n.LoopbackNode.OpendirHandle(ctx, flags)
	if e != 0 {
		return nil, 0, e
	}
	return &dir{h: fh, path: n.fullPath(), l: n.l}, ff, 0
}

// dir forwards a directory handle's operations.
type dir struct {
	h    fs.FileHandle
	path string
	l    *FS
}

func (d *dir) Readdirent(ctx context.Context) (*fuse.DirEntry, syscall.Errno) {
	return d.h.(fs.FileReaddirenter).Readdirent(ctx)
}

func (d *dir) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	return d.h.(fs.FileSeekdirer).Seekdir(ctx, off)
}

func (d *dir) Releasedir(ctx context.Context, flags uint32) {
	d.h.(fs.FileReleasedirer).Releasedir(ctx, flags)
}

func (d *dir) Fsyncdir(ctx context.Context, flags uint32) syscall.Errno {
	if e := d.h.(fs.FileFsyncdirer).Fsyncdir(ctx, flags); e != 0 {
		return e
	}
	return d.l.dirSynced(d.path)
}
