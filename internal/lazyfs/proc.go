package lazyfs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// The FUSE server must not run in the process that uses the mount: a goroutine faulting
// on a memory-mapped file (bbolt) blocks in the kernel until the server answers, the
// garbage collector waits for that goroutine, and the server's goroutines wait for the
// collector. So tests start the server as a child: their own binary, re-executed with
// childEnv set, which this package's init turns into the server.

const (
	childEnv     = "LAZYFS_CHILD_MOUNT"
	childBacking = "LAZYFS_CHILD_BACKING"
)

func init() {
	mnt := os.Getenv(childEnv)
	if mnt == "" {
		return
	}
	os.Exit(serveChild(os.Getenv(childBacking), mnt))
}

func serveChild(backing, mnt string) int {
	l, err := Mount(backing, mnt)
	if err != nil {
		fmt.Printf("error %v\n", err)
		return 1
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "cut" {
			f, n, err := l.Cut()
			if err != nil {
				fmt.Printf("error %v\n", err)
				return 1
			}
			fmt.Printf("cut %d %d\n", f, n)
			return 0
		}
	}
	// The parent went away: unmount without a cut.
	l.Unmount()
	return 0
}

// Proc is a lazy file system served by a child process.
type Proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
	mnt   string
}

// Start mounts a lazy view of backing at mnt, served by a child running the current
// binary (a test binary whose package imports lazyfs). ErrUnavailable: FUSE cannot be
// used here.
func Start(backing, mnt string) (*Proc, error) {
	if _, err := os.Stat("/dev/fuse"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if _, err := exec.LookPath("fusermount3"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mnt, childBacking+"="+backing)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Proc{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout), mnt: mnt}
	line, err := p.line(10 * time.Second)
	if err != nil || line != "ready" {
		p.Kill()
		if strings.Contains(line, ErrUnavailable.Error()) {
			return nil, fmt.Errorf("%w: %s", ErrUnavailable, line)
		}
		return nil, fmt.Errorf("lazyfs: child: %q %v", line, err)
	}
	return p, nil
}

func (p *Proc) line(timeout time.Duration) (string, error) {
	got := make(chan bool, 1)
	go func() { got <- p.out.Scan() }()
	select {
	case ok := <-got:
		if !ok {
			return "", errors.Join(io.ErrUnexpectedEOF, p.out.Err())
		}
		return p.out.Text(), nil
	case <-time.After(timeout):
		return "", errors.New("lazyfs: child did not answer")
	}
}

// Cut cuts the power (see FS.Cut) and returns how many unsynced files and names it
// undid.
func (p *Proc) Cut() (files, names int, err error) {
	if _, err := io.WriteString(p.stdin, "cut\n"); err != nil {
		return 0, 0, err
	}
	line, err := p.line(30 * time.Second)
	if err != nil {
		p.Kill()
		return 0, 0, err
	}
	if _, err := fmt.Sscanf(line, "cut %d %d", &files, &names); err != nil {
		return 0, 0, fmt.Errorf("lazyfs: child: %q", line)
	}
	return files, names, p.cmd.Wait()
}

// Kill stops the child without a cut and detaches the mount.
func (p *Proc) Kill() {
	p.stdin.Close()
	p.cmd.Process.Kill()
	p.cmd.Wait()
	exec.Command("fusermount3", "-u", "-z", p.mnt).Run()
}
