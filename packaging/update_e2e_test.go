package packaging

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/internal/update"
	"github.com/govkiosk/govkiosk/sync/hub"
)

// chrootBins are the host programs the package's maintainer scripts need inside the
// throw-away root (dpkg --root runs them chrooted there).
var chrootBins = []string{"sh", "dash", "mkdir", "chown", "chmod", "rm", "rmdir", "cat", "grep"}

// throwAwayRoot makes a directory dpkg --root can install into and run the maintainer
// scripts in: an empty dpkg database, the shell and the few programs the scripts call
// (with their libraries), and stand-ins for the user tools that record the kiosk user in
// the root's own /etc/passwd.
func throwAwayRoot(t *testing.T) string {
	t.Helper()
	r := t.TempDir()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "usr/bin", "usr/sbin", "bin", "etc", "dev", "tmp"} {
		if err := os.MkdirAll(filepath.Join(r, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"var/lib/dpkg/status", "var/lib/dpkg/available", "dev/null"} {
		if err := os.WriteFile(filepath.Join(r, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(r, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(r, "etc/group"), []byte("root:x:0:\n"), 0o644)
	for _, name := range chrootBins {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Skipf("%s is not installed: the throw-away root needs it", name)
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			t.Fatal(err)
		}
		copyFile(t, real, filepath.Join(r, "usr/bin", name), 0o755)
		out, err := run("", nil, lookTool(t, "ldd", "the throw-away root's libraries"), real)
		if err != nil {
			continue // static
		}
		for _, f := range strings.Fields(out) {
			if strings.HasPrefix(f, "/") {
				if _, err := os.Stat(filepath.Join(r, f)); err != nil {
					copyFile(t, f, filepath.Join(r, f), 0o755)
				}
			}
		}
	}
	copyFile(t, filepath.Join(r, "usr/bin/dash"), filepath.Join(r, "bin/sh"), 0o755)
	writeExec(t, filepath.Join(r, "usr/bin/getent"), "#!/bin/sh\ngrep \"^$2:\" /etc/$1\n")
	writeExec(t, filepath.Join(r, "usr/sbin/addgroup"), "#!/bin/sh\nfor a; do g=$a; done\necho \"$g:x:999:\" >>/etc/group\n")
	writeExec(t, filepath.Join(r, "usr/sbin/adduser"), "#!/bin/sh\n[ \"$1\" = --system ] || exit 0\nfor a; do u=$a; done\n"+
		"echo \"$u:x:999:999::/var/lib/govkiosk:/usr/sbin/nologin\" >>/etc/passwd\n")
	return r
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// repackVersion makes version ver of a .deb: its contents with the control file's
// Version changed, built again with dpkg-deb.
func repackVersion(t *testing.T, deb, ver, dir string) string {
	t.Helper()
	x := t.TempDir()
	if out, err := run("", nil, "dpkg-deb", "--raw-extract", deb, x); err != nil {
		t.Fatalf("dpkg-deb -R: %v\n%s", err, out)
	}
	ctl := filepath.Join(x, "DEBIAN/control")
	b, _ := os.ReadFile(ctl)
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Version: ") {
			l = "Version: " + ver
		}
		lines = append(lines, l)
	}
	os.WriteFile(ctl, []byte(strings.Join(lines, "\n")), 0o644)
	out := filepath.Join(dir, fmt.Sprintf("govkiosk_%s_%s.deb", ver, runtime.GOARCH))
	if o, err := run("", nil, "dpkg-deb", "-Zxz", "-z1", "--root-owner-group", "--build", x, out); err != nil {
		t.Fatalf("dpkg-deb -b: %v\n%s", err, o)
	}
	return out
}

// TestUpdateEndToEnd delivers a software update the whole way: version N of the .deb
// (built by build-deb with a test release key) is installed into a throw-away root with
// dpkg --root; N+1 is published on the all channel of a real hub on loopback, downloaded
// and verified by the update agent into the installed spool with the installed release
// key, and installed by the installed privileged helper (real dpkg, real kioskctl from
// the root; stand-ins only for systemd and the session's health). A package changed on
// the way, and one changed in the spool after the kiosk verified it, are refused and N
// stays; N+1 coming up in safe mode is rolled back to N; N+1 healthy stays installed.
func TestUpdateEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the .deb")
	}
	root := repoRoot(t)
	if os.Geteuid() != 0 {
		t.Skip("dpkg --root runs the maintainer scripts chrooted into the root, which needs root (CI runs the packaging tests as root)")
	}
	dpkg := lookTool(t, "dpkg", "installing into a throw-away root")
	lookTool(t, "dpkg-deb", "the .deb packages")
	lookTool(t, "dpkg-query", "the installed version")

	privFile, pubFile, err := update.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := update.ParsePrivateKey(privFile)
	pub, _ := update.ParsePublicKey(pubFile)
	keyFile := filepath.Join(t.TempDir(), "release-key.pub")
	os.WriteFile(keyFile, pubFile, 0o644)
	const vN, vN1 = "1.0.0", "1.1.0"
	dist := t.TempDir()
	start := time.Now()
	if out, err := run(root, []string{"DIST=" + dist, "VERSION=" + vN, "GOVKIOSK_TRIMPATH=0", "RELEASE_KEY=" + keyFile},
		filepath.Join(root, "packaging/build-deb"), runtime.GOARCH); err != nil {
		t.Fatalf("build-deb: %v\n%s", err, out)
	}
	debN := filepath.Join(dist, fmt.Sprintf("govkiosk_%s_%s.deb", vN, runtime.GOARCH))
	debN1 := repackVersion(t, debN, vN1, dist)
	t.Logf("built %s and %s in %v", filepath.Base(debN), filepath.Base(debN1), time.Since(start).Round(time.Second))

	// N into the throw-away root. Its dependencies (X, fonts…) are not there: forced.
	r := throwAwayRoot(t)
	env := []string{"DPKG_FORCE=depends,downgrade,security-mac"}
	if out, err := run("", env, dpkg, "--root="+r, "-i", debN); err != nil {
		t.Fatalf("dpkg --root -i %s: %v\n%s", filepath.Base(debN), err, out)
	}
	installed := func() string {
		out, err := run("", nil, "dpkg-query", "--root="+r, "-W", "-f", "${Version} ${Status}", "govkiosk")
		if err != nil {
			t.Fatalf("dpkg-query: %v\n%s", err, out)
		}
		return strings.TrimSpace(out)
	}
	if got := installed(); got != vN+" install ok installed" {
		t.Fatalf("after installing N: %q", got)
	}
	spool := filepath.Join(r, "var/lib/govkiosk/update")
	if st, err := os.Stat(spool); err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
		t.Fatalf("postinst made no update spool: %v %v", st, err)
	}
	if b, _ := os.ReadFile(filepath.Join(r, "usr/share/govkiosk/release-key.pub")); !bytes.Equal(b, pubFile) {
		t.Fatal("the installed release key is not the one built in")
	}

	// The hub, with the project's key, publishes N+1 on all.
	hubDir := t.TempDir()
	h, err := hub.New(hub.Options{Dir: hubDir, ReleaseKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go h.Serve(ln)
	good, err := os.ReadFile(debN1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := update.Describe(bytes.NewReader(good), "govkiosk", vN1, runtime.GOARCH, update.ChannelAll)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := update.Sign(m, priv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.PublishRelease(signed.Marshal(), bytes.NewReader(good), "release-manager"); err != nil {
		t.Fatal(err)
	}
	rel, rec, err := h.Release(update.ChannelAll)
	if err != nil || rec == nil {
		t.Fatalf("the hub holds no release on all: %v", err)
	}
	args := hub.UpdateArgs(rel) // what the hub's update command carries

	// The terminal's agent, with what the root has installed: its key, version, spool.
	var steps []string
	instKey, err := update.ParsePublicKey(mustRead(t, filepath.Join(r, "usr/share/govkiosk/release-key.pub")))
	if err != nil {
		t.Fatal(err)
	}
	agent := &update.Agent{Key: instKey, Installed: update.Installed{Package: "govkiosk", Version: vN, Arch: runtime.GOARCH},
		Spool: spool, Hub: "http://" + ln.Addr().String(),
		Report: func(s update.Step, v, _ string) { steps = append(steps, string(s)+" "+v) }}

	// The install helper as installed, run as its unit runs it, on the root.
	bin := t.TempDir()
	writeExec(t, filepath.Join(bin, "systemctl"), "#!/bin/sh\nexit 0\n")
	writeExec(t, filepath.Join(bin, "kiosk-session"), "#!/bin/sh\ncat "+filepath.Join(bin, "session-status")+"\n")
	helperEnv := append(env, "PATH="+bin+":"+os.Getenv("PATH"), "SPOOL="+spool, "KEEP="+filepath.Join(r, "var/lib/govkiosk/update-previous"),
		"HEALTH_WAIT=0", "RELEASE_KEY="+filepath.Join(r, "usr/share/govkiosk/release-key.pub"),
		"KIOSKCTL="+filepath.Join(r, "usr/bin/kioskctl"), "KIOSK_SESSION="+filepath.Join(bin, "kiosk-session"), "DPKG_ROOT_ARGS=--root="+r)
	helper := filepath.Join(r, "usr/lib/govkiosk/govkiosk-update-install")
	health := func(s string) {
		os.WriteFile(filepath.Join(bin, "session-status"), []byte("next start: "+s+"\n"), 0o644)
	}
	lastStep := func() string {
		b, _ := os.ReadFile(filepath.Join(spool, "status"))
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		f := strings.Fields(lines[len(lines)-1])
		return f[1] + " " + f[2]
	}
	ctx := context.Background()

	// 1. The package changed on the way (the hub's copy on disk altered after publishing):
	// the agent refuses it and keeps nothing.
	stored := filepath.Join(hubDir, "releases", rel.SHA256+".deb")
	bad := append([]byte(nil), good...)
	bad[len(bad)/2] ^= 1
	if err := os.WriteFile(stored, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Take(ctx, args); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("a package changed on the way: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(spool, "*.deb*")); len(left) != 0 {
		t.Errorf("the refused download was kept: %v", left)
	}
	os.WriteFile(stored, good, 0o644)

	// 2. Verified by the agent, then changed in the spool (the kiosk user's) before the
	// helper runs: the helper verifies again and refuses; N stays.
	pkg, err := agent.Take(ctx, args)
	if err != nil {
		t.Fatal(err)
	}
	b := mustRead(t, pkg)
	b[len(b)/3] ^= 1
	os.WriteFile(pkg, b, 0o644)
	if err := agent.Install(pkg); err != nil {
		t.Fatal(err)
	}
	if out, err := run("", helperEnv, helper); err == nil {
		t.Fatalf("the helper installed a package changed in the spool:\n%s", out)
	}
	if got := installed(); !strings.HasPrefix(got, vN+" ") || lastStep() != "refused "+vN1 {
		t.Fatalf("after the changed package: %q, step %q", got, lastStep())
	}

	// 3. N+1 installs but comes up in safe mode: N goes back on (kept, as the helper keeps
	// each version it installs; N came by hand, so it is put there as the helper would).
	os.MkdirAll(filepath.Join(r, "var/lib/govkiosk/update-previous"), 0o755)
	copyFile(t, debN, filepath.Join(r, "var/lib/govkiosk/update-previous", filepath.Base(debN)), 0o644)
	health("safe mode")
	if pkg, err = agent.Take(ctx, args); err != nil {
		t.Fatal(err)
	}
	agent.Install(pkg)
	if out, err := run("", helperEnv, helper); err == nil {
		t.Fatalf("an update that failed its health check reported success:\n%s", out)
	}
	if got := installed(); got != vN+" install ok installed" || lastStep() != "rolled_back "+vN1 {
		t.Fatalf("after the rollback: %q, step %q", got, lastStep())
	}

	// 4. N+1 healthy: installed, and kept as the next rollback target.
	health("normal")
	if pkg, err = agent.Take(ctx, args); err != nil {
		t.Fatal(err)
	}
	agent.Install(pkg)
	if out, err := run("", helperEnv, helper); err != nil {
		t.Fatalf("install N+1: %v\n%s", err, out)
	}
	if got := installed(); got != vN1+" install ok installed" || lastStep() != "installed "+vN1 {
		t.Fatalf("after the update: %q, step %q", got, lastStep())
	}
	if _, err := os.Stat(filepath.Join(r, "var/lib/govkiosk/update-previous", filepath.Base(debN1))); err != nil {
		t.Errorf("N+1 not kept for the next rollback: %v", err)
	}
	t.Logf("agent steps: %s", strings.Join(steps, ", "))
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
