package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestMinFreeBytesRefusesNewKeepsOld(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	kept := mustEnqueue(t, q, sampleSubmission(1, 2000))

	free, err := freeBytes(env.dir)
	if err != nil {
		t.Fatal(err)
	}
	q.Close()
	// A reserve larger than the free space: this disk is "full" for new submissions.
	q = env.open(t, func(o *Options) { o.MinFreeBytes = free + 1<<30 })
	if _, err := q.Enqueue(context.Background(), sampleSubmission(2, 100)); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("Enqueue on a full disk = %v, want ErrDiskFull", err)
	}
	if _, err := q.Rate(context.Background(), RatingInput{Stars: 5}); !errors.Is(err, ErrDiskFull) {
		t.Errorf("Rate on a full disk = %v, want ErrDiskFull", err)
	}
	items, err := q.Pending(0)
	if err != nil || len(items) != 1 || items[0].ID() != kept.ID {
		t.Fatalf("Pending = %v, %v", items, err)
	}
	if _, err := q.ReadAttachment(kept.ID, 0); err != nil {
		t.Errorf("queued attachment unreadable: %v", err)
	}
	// Delivery still works on a full disk: it is what frees space.
	if err := q.MarkDelivered(kept.ID, "h"); err != nil {
		t.Errorf("MarkDelivered on a full disk: %v", err)
	}
}

// enospcAfter fails writes with ENOSPC once n bytes have been written in total.
type enospcAfter struct {
	w io.Writer
	n *int
}

func (e enospcAfter) Write(p []byte) (int, error) {
	if len(p) > *e.n {
		k, _ := e.w.Write(p[:*e.n])
		*e.n = 0
		return k, &os.PathError{Op: "write", Path: "attachment", Err: syscall.ENOSPC}
	}
	*e.n -= len(p)
	return e.w.Write(p)
}

func TestENOSPCDuringAttachmentWrite(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	kept := mustEnqueue(t, q, sampleSubmission(1, 1000))
	budget := 1500 // the first attachment fits, the second runs out part-way
	q.wrapWriter = func(w io.Writer) io.Writer { return enospcAfter{w, &budget} }
	_, err := q.Enqueue(context.Background(), sampleSubmission(2, 1000, 1000))
	if !errors.Is(err, ErrDiskFull) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Enqueue = %v, want ErrDiskFull wrapping ENOSPC", err)
	}
	q.wrapWriter = nil
	// Nothing of the refused submission is left: no record, no file, no temporary file.
	if names := listFiles(t, env.dir); len(names) != 1 {
		t.Errorf("files after a refused submission: %v", names)
	}
	st, _ := q.Stats()
	if st.Queued != 1 {
		t.Errorf("Stats = %+v", st)
	}
	if data, err := q.ReadAttachment(kept.ID, 0); err != nil || len(data) != 1000 {
		t.Errorf("kept attachment: %v", err)
	}
	// Space back: submissions are accepted again.
	mustEnqueue(t, q, sampleSubmission(3, 1000))
}

// TestRealFullFilesystem fills a real, small tmpfs until the kernel says ENOSPC, in a
// child process with its own user and mount namespace (so nothing is mounted on the
// host). Skipped where unprivileged namespaces are not available.
func TestRealFullFilesystem(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	root := t.TempDir()
	mnt := filepath.Join(root, "mnt")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=tmpfs", "QUEUE_TEST_DIR="+mnt,
		"QUEUE_TEST_KEY="+filepath.Join(root, "queue.key"))
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:                 syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		GidMappingsEnableSetgroups: false,
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if strings.Contains(out.String(), "SKIP:") || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC) {
		t.Skipf("no private mount namespace here: %v %s", err, out.String())
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "OK") {
		t.Fatalf("child did not finish:\n%s", out.String())
	}
	t.Logf("child:\n%s", out.String())
}

// tmpfsChild runs inside the namespaces TestRealFullFilesystem made.
func tmpfsChild() error {
	dir := os.Getenv("QUEUE_TEST_DIR")
	// Make every mount private first, so the tmpfs cannot propagate anywhere.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		fmt.Println("SKIP: make mounts private:", err)
		return nil
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=3m,mode=0700"); err != nil {
		fmt.Println("SKIP: mount tmpfs:", err)
		return nil
	}
	opt := Options{TerminalCode: testTerminal, KeyFile: os.Getenv("QUEUE_TEST_KEY"), CreateKey: true, MinFreeBytes: -1}
	q, err := Open(filepath.Join(dir, "q"), opt)
	if err != nil {
		return err
	}
	ctx := context.Background()
	var stored []*Submission
	var inputs []NewSubmission
	// Fill with 256 KiB scans until the filesystem refuses.
	var fullErr error
	for i := 0; i < 100; i++ {
		in := sampleSubmission(i, 256<<10)
		s, err := q.Enqueue(ctx, in)
		if err != nil {
			fullErr = err
			break
		}
		stored, inputs = append(stored, s), append(inputs, in)
	}
	if !errors.Is(fullErr, ErrDiskFull) || !errors.Is(fullErr, unix.ENOSPC) {
		return fmt.Errorf("filling with attachments ended with %v, want ErrDiskFull wrapping ENOSPC", fullErr)
	}
	fmt.Printf("attachments: %d stored, then %v\n", len(stored), fullErr)
	// Then form-only submissions with large fields until bbolt's own writes fail.
	var formErr error
	for i := 0; i < 2000; i++ {
		in := sampleSubmission(1000 + i)
		in.Fields["note"] = strings.Repeat("样", 20000)
		s, err := q.Enqueue(ctx, in)
		if err != nil {
			formErr = err
			break
		}
		stored, inputs = append(stored, s), append(inputs, in)
	}
	if !errors.Is(formErr, ErrDiskFull) {
		return fmt.Errorf("filling with forms ended with %v, want ErrDiskFull", formErr)
	}
	fmt.Printf("forms: %d stored in total, then %v\n", len(stored), formErr)

	verify := func(q *Queue) error {
		for i, s := range stored {
			it, err := q.Get(s.ID)
			if err != nil {
				return fmt.Errorf("submission %d: %w", i, err)
			}
			if it.Submission.Fields["id_number"] != inputs[i].Fields["id_number"] {
				return fmt.Errorf("submission %d: fields differ", i)
			}
			for j, a := range inputs[i].Attachments {
				data, err := q.ReadAttachment(s.ID, j)
				if err != nil || !bytes.Equal(data, a.Data) {
					return fmt.Errorf("submission %d attachment %d: %v", i, j, err)
				}
			}
		}
		rep, err := q.Check(ctx)
		if err != nil || len(rep.Problems) != 0 {
			return fmt.Errorf("check: %v %v", err, rep.Problems)
		}
		return nil
	}
	if err := verify(q); err != nil {
		return fmt.Errorf("after the disk filled: %w", err)
	}
	// Delivering frees space; then new submissions are accepted again.
	for _, s := range stored[:4] {
		if err := q.MarkDelivered(s.ID, "h"); err != nil {
			return fmt.Errorf("deliver on a full disk: %w", err)
		}
	}
	stored, inputs = stored[4:], inputs[4:]
	in := sampleSubmission(5000, 100<<10)
	s, err := q.Enqueue(ctx, in)
	if err != nil {
		return fmt.Errorf("enqueue after freeing space: %w", err)
	}
	stored, inputs = append(stored, s), append(inputs, in)
	if err := q.Close(); err != nil {
		return err
	}
	q, err = Open(filepath.Join(dir, "q"), opt)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	defer q.Close()
	if err := verify(q); err != nil {
		return fmt.Errorf("after reopening: %w", err)
	}
	fmt.Println("OK")
	return nil
}
