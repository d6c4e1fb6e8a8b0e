package packaging

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/internal/update"
	"github.com/govkiosk/govkiosk/kiosk/config"
)

// hasMain reports whether cmd/NAME holds Go code yet (others are writing it).
func hasMain(root, name string) bool {
	m, _ := filepath.Glob(filepath.Join(root, "cmd", name, "*.go"))
	return len(m) > 0
}

// entry is one line of "dpkg-deb --contents".
type entry struct{ mode, owner, link string }

func contents(t *testing.T, deb string) map[string]entry {
	t.Helper()
	out, err := run("", nil, "dpkg-deb", "--contents", deb)
	if err != nil {
		t.Fatalf("dpkg-deb --contents: %v\n%s", err, out)
	}
	m := map[string]entry{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			t.Fatalf("odd listing line %q", line)
		}
		e := entry{mode: f[0], owner: f[1]}
		path := strings.TrimPrefix(f[5], ".")
		if len(f) >= 8 && f[6] == "->" {
			e.link = f[7]
		}
		m[strings.TrimSuffix(path, "/")] = e
	}
	return m
}

func field(t *testing.T, deb, name string) string {
	t.Helper()
	out, err := run("", nil, "dpkg-deb", "--field", deb, name)
	if err != nil {
		t.Fatalf("dpkg-deb --field %s: %v\n%s", name, err, out)
	}
	return strings.TrimSpace(out)
}

// TestDebPackages builds both packages for this machine's architecture with build-deb and
// inspects them as dpkg will see them.
func TestDebPackages(t *testing.T) {
	root := repoRoot(t)
	for _, c := range []string{"kiosk", "kiosk-hub", "kioskctl"} {
		if !hasMain(root, c) {
			t.Skipf("cmd/%s does not exist yet: the .deb packages need it (this test runs fully once cmd/kiosk and cmd/kiosk-hub are in the tree)", c)
		}
	}
	lookTool(t, "dpkg-deb", "the .deb packages")
	arch := runtime.GOARCH
	dist := t.TempDir()
	const version = "1.2.3~test"
	// A release key made for the test: the package ships the public half given.
	_, pub, err := update.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	releaseKey := filepath.Join(t.TempDir(), "release-key.pub")
	if err := os.WriteFile(releaseKey, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// Without -trimpath the compile actions are the ones "go build" and "go test" cache.
	out, err := run(root, []string{"DIST=" + dist, "VERSION=" + version, "GOVKIOSK_TRIMPATH=0", "RELEASE_KEY=" + releaseKey},
		filepath.Join(root, "packaging/build-deb"), arch)
	if err != nil {
		t.Fatalf("build-deb: %v\n%s", err, out)
	}
	t.Logf("build-deb %s took %v", arch, time.Since(start).Round(time.Second))

	kiosk := filepath.Join(dist, fmt.Sprintf("govkiosk_%s_%s.deb", version, arch))
	hub := filepath.Join(dist, fmt.Sprintf("govkiosk-hub_%s_%s.deb", version, arch))
	for _, deb := range []string{kiosk, hub} {
		st, err := os.Stat(deb)
		if err != nil {
			t.Fatalf("build-deb wrote no %s:\n%s", filepath.Base(deb), out)
		}
		t.Logf("%s: %.1f MB", filepath.Base(deb), float64(st.Size())/1e6)
	}

	t.Run("govkiosk", func(t *testing.T) {
		checkControl(t, kiosk, "govkiosk", version, arch, []string{
			"libc6 (>= 2.", "adduser", "systemd", "libpam-systemd", "udev", "xserver-xorg", "xinit", "xauth",
			"x11-xserver-utils", "libgl1", "libgl1-mesa-dri", "libx11-6", "libxcursor1", "libxrandr2",
			"libxinerama1", "libxi6", "libxxf86vm1", "libusb-1.0-0", "fonts-noto-cjk",
			"libespeak-ng1", "espeak-ng-data", "libasound2",
			"libzinnia0", "rime-data-pinyin-simp", "rime-essay", "opencc", "python3-jieba", "tegaki-zinnia-simplified-chinese",
			"tegaki-zinnia-japanese"})
		files := contents(t, kiosk)
		checkFiles(t, files, map[string]string{
			"/usr/lib/govkiosk/kiosk":                         "-rwxr-xr-x",
			"/usr/bin/kioskctl":                               "-rwxr-xr-x",
			"/usr/lib/govkiosk/kiosk-session":                 "-rwxr-xr-x",
			"/usr/sbin/govkiosk-name-device":                  "-rwxr-xr-x",
			"/usr/lib/systemd/system/govkiosk.service":        "-rw-r--r--",
			"/usr/lib/govkiosk/govkiosk-update-install":       "-rwxr-xr-x",
			"/usr/lib/systemd/system/govkiosk-update.path":    "-rw-r--r--",
			"/usr/lib/systemd/system/govkiosk-update.service": "-rw-r--r--",
			"/usr/share/govkiosk/release-key.pub":             "-rw-r--r--",
			"/usr/lib/udev/rules.d/60-govkiosk.rules":         "-rw-r--r--",
			"/usr/share/doc/govkiosk/README.md":               "-rw-r--r--",
			"/etc/govkiosk/kiosk.toml":                        "-rw-r-----",
			"/etc/default/govkiosk":                           "-rw-r--r--",
			"/etc/pam.d/govkiosk":                             "-rw-r--r--",
			"/etc/X11/xorg.conf.d/90-govkiosk.conf":           "-rw-r--r--",
		})
		ctrl := checkControlArchive(t, kiosk, "govkiosk", []string{
			"/etc/govkiosk/kiosk.toml", "/etc/default/govkiosk", "/etc/pam.d/govkiosk", "/etc/X11/xorg.conf.d/90-govkiosk.conf"})
		// The essay index is rebuilt (postinst "triggered") when its word lists change.
		trig, err := os.ReadFile(filepath.Join(ctrl, "triggers"))
		if err != nil {
			t.Errorf("no triggers: %v", err)
		}
		for _, p := range []string{"/usr/share/rime-data/essay.txt", "/usr/share/rime-data/pinyin_simp.dict.yaml",
			"/usr/lib/python3/dist-packages/jieba/dict.txt"} {
			if !strings.Contains(string(trig), "interest-noawait "+p+"\n") {
				t.Errorf("triggers lack interest-noawait %s:\n%s", p, trig)
			}
		}

		x := extract(t, kiosk)
		checkELF(t, filepath.Join(x, "usr/lib/govkiosk/kiosk"), arch)
		checkELF(t, filepath.Join(x, "usr/bin/kioskctl"), arch)
		sameAsTree(t, root, x, map[string]string{
			"usr/lib/govkiosk/kiosk-session":                 "packaging/session/kiosk-session",
			"usr/lib/systemd/system/govkiosk.service":        "packaging/systemd/govkiosk.service",
			"usr/lib/udev/rules.d/60-govkiosk.rules":         "packaging/udev/60-govkiosk.rules",
			"etc/govkiosk/kiosk.toml":                        "kiosk/config/example.toml",
			"usr/lib/govkiosk/govkiosk-update-install":       "packaging/update/govkiosk-update-install",
			"usr/lib/systemd/system/govkiosk-update.path":    "packaging/update/govkiosk-update.path",
			"usr/lib/systemd/system/govkiosk-update.service": "packaging/update/govkiosk-update.service",
		})
		if b, _ := os.ReadFile(filepath.Join(x, "usr/share/govkiosk/release-key.pub")); !bytes.Equal(b, pub) {
			t.Errorf("the package ships release key %q, want the RELEASE_KEY given (%q)", b, pub)
		}
		// The postinst makes the spool the kiosk downloads into, and enables the watcher.
		postinst, _ := os.ReadFile(filepath.Join(ctrl, "postinst"))
		for _, want := range []string{`mkdir -p "$data/update"`, `fix_mode "$user:$user" 0700 "$data/update"`,
			"deb-systemd-helper enable govkiosk-update.path", "systemctl start govkiosk-update.path"} {
			if !strings.Contains(string(postinst), want) {
				t.Errorf("postinst lacks %q", want)
			}
		}
		// The configuration shipped is one the kiosk accepts.
		b, err := os.ReadFile(filepath.Join(x, "etc/govkiosk/kiosk.toml"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := config.Parse(b); err != nil {
			t.Errorf("the packaged kiosk.toml is refused by the kiosk: %v", err)
		}
		rules, _ := os.ReadFile(filepath.Join(x, "usr/lib/udev/rules.d/60-govkiosk.rules"))
		if err := lintUdevRules(string(rules)); err != nil {
			t.Error(err)
		}
		units := map[string]string{}
		for _, u := range []string{"govkiosk.service", "govkiosk-update.path", "govkiosk-update.service"} {
			b, _ := os.ReadFile(filepath.Join(x, "usr/lib/systemd/system", u))
			units[u] = string(b)
		}
		t.Run("systemd-analyze", func(t *testing.T) {
			verifyUnits(t, units, map[string]string{"/usr/lib/govkiosk/": filepath.Join(x, "usr/lib/govkiosk") + "/"})
		})
	})

	t.Run("govkiosk-hub", func(t *testing.T) {
		// fonts-wqy-zenhei: the certificates embed a subset of it (internal/pdf).
		checkControl(t, hub, "govkiosk-hub", version, arch, []string{"adduser", "systemd", "fonts-wqy-zenhei"})
		// PostgreSQL is optional (replicas), so recommended, never required.
		if rec := field(t, hub, "Recommends"); !strings.Contains(rec, "postgresql") {
			t.Errorf("Recommends %q lacks postgresql", rec)
		}
		if dep := field(t, hub, "Depends"); strings.Contains(dep, "postgresql") {
			t.Errorf("Depends %q requires postgresql; the embedded store needs none", dep)
		}
		checkFiles(t, contents(t, hub), map[string]string{
			"/usr/bin/kiosk-hub":                                           "-rwxr-xr-x",
			"/usr/lib/systemd/system/govkiosk-hub.service":                 "-rw-r--r--",
			"/etc/default/govkiosk-hub":                                    "-rw-r--r--",
			"/usr/share/govkiosk-hub/monitoring/govkiosk-hub.rules.yml":    "-rw-r--r--",
			"/usr/share/govkiosk-hub/monitoring/govkiosk-hub.grafana.json": "-rw-r--r--",
		})
		checkControlArchive(t, hub, "govkiosk-hub", []string{"/etc/default/govkiosk-hub"})
		x := extract(t, hub)
		checkELF(t, filepath.Join(x, "usr/bin/kiosk-hub"), arch)
		unit, _ := os.ReadFile(filepath.Join(x, "usr/lib/systemd/system/govkiosk-hub.service"))
		t.Run("systemd-analyze", func(t *testing.T) {
			verifyUnits(t, map[string]string{"govkiosk-hub.service": string(unit)},
				map[string]string{"/usr/bin/kiosk-hub": filepath.Join(x, "usr/bin/kiosk-hub")})
		})
	})
}

func checkControl(t *testing.T, deb, pkg, version, arch string, depends []string) {
	t.Helper()
	for name, want := range map[string]string{"Package": pkg, "Version": version, "Architecture": arch} {
		if got := field(t, deb, name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if m := field(t, deb, "Maintainer"); !strings.Contains(m, "<") {
		t.Errorf("Maintainer %q is not 'name <address>'", m)
	}
	dep := field(t, deb, "Depends")
	for _, d := range depends {
		found := false
		for _, have := range strings.Split(dep, ",") {
			if strings.HasPrefix(strings.TrimSpace(have), d) {
				found = true
			}
		}
		if !found {
			t.Errorf("Depends lacks %s: %s", d, dep)
		}
	}
}

// checkFiles checks modes of the files that matter, and that everything is root's,
// nothing is writable by others and nothing lands outside the usual places.
func checkFiles(t *testing.T, files map[string]entry, want map[string]string) {
	t.Helper()
	for path, mode := range want {
		e, ok := files[path]
		if !ok {
			t.Errorf("%s is not in the package", path)
			continue
		}
		if e.mode != mode {
			t.Errorf("%s: mode %s, want %s", path, e.mode, mode)
		}
	}
	for path, e := range files {
		if e.owner != "root/root" {
			t.Errorf("%s: owner %s, want root/root (postinst hands out what the kiosk owns)", path, e.owner)
		}
		if len(e.mode) == 10 && (e.mode[8] == 'w' || e.mode[5] == 'w') && e.mode[0] != 'l' {
			t.Errorf("%s: writable by group or others (%s)", path, e.mode)
		}
		ok := path == ""
		for _, p := range []string{"/usr/", "/etc/", "/usr", "/etc"} {
			ok = ok || strings.HasPrefix(path, p)
		}
		if !ok {
			t.Errorf("%s: outside /usr and /etc", path)
		}
	}
}

// checkControlArchive checks the conffiles list and the maintainer scripts, and returns
// the directory the control archive was extracted to.
func checkControlArchive(t *testing.T, deb, pkg string, conffiles []string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := run("", nil, "dpkg-deb", "--control", deb, dir); err != nil {
		t.Fatalf("dpkg-deb --control: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "conffiles"))
	if err != nil {
		t.Fatalf("no conffiles: %v", err)
	}
	got := strings.Fields(string(b))
	if strings.Join(got, " ") != strings.Join(conffiles, " ") {
		// Order is nfpm's; compare as sets.
		have := map[string]bool{}
		for _, g := range got {
			have[g] = true
		}
		for _, c := range conffiles {
			if !have[c] {
				t.Errorf("conffiles lacks %s: %v", c, got)
			}
		}
		if len(got) != len(conffiles) {
			t.Errorf("conffiles %v, want %v", got, conffiles)
		}
	}
	root := repoRoot(t)
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		p := filepath.Join(dir, s)
		st, err := os.Stat(p)
		if err != nil {
			t.Errorf("no %s: %v", s, err)
			continue
		}
		if st.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v, want 0755", s, st.Mode().Perm())
		}
		if out, err := run("", nil, "sh", "-n", p); err != nil {
			t.Errorf("sh -n %s: %v\n%s", s, err, out)
		}
		src, _ := os.ReadFile(filepath.Join(root, "packaging/scripts", pkg+"."+s))
		if got, _ := os.ReadFile(p); !bytes.Equal(got, src) {
			t.Errorf("%s in the package differs from packaging/scripts/%s.%s", s, pkg, s)
		}
	}
	return dir
}

func extract(t *testing.T, deb string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := run("", nil, "dpkg-deb", "--extract", deb, dir); err != nil {
		t.Fatalf("dpkg-deb --extract: %v\n%s", err, out)
	}
	return dir
}

func checkELF(t *testing.T, path, arch string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	defer f.Close()
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
	if f.Machine != want {
		t.Errorf("%s: machine %v, want %v", filepath.Base(path), f.Machine, want)
	}
}

func sameAsTree(t *testing.T, root, x string, files map[string]string) {
	t.Helper()
	for inPkg, inTree := range files {
		a, err1 := os.ReadFile(filepath.Join(x, inPkg))
		b, err2 := os.ReadFile(filepath.Join(root, inTree))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("/%s in the package is not %s (%v %v)", inPkg, inTree, err1, err2)
		}
	}
}
