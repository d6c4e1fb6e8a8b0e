package archtest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

// A rule forbids one kind of import edge. Patterns are import paths; "./x/..." is a path
// inside this module and "/..." at the end also matches everything below.
type rule struct {
	name string // short and stable: it is what a failing guard names first
	why  string // the reason, said to whoever added the edge
	// pkgs are the packages the rule governs, except those in except.
	pkgs, except []string
	// deny are the imports the rule forbids, except those in allow.
	deny, allow []string
	// transitive rules also forbid reaching a denied package through others (in the
	// package's non-test build); direct rules look only at what each file imports.
	transitive bool
	// testsToo rules apply to _test.go files as well.
	testsToo bool
}

// rules is the architecture of DESIGN.md §1 as checks. A new exception goes in except or
// allow with a comment saying why; it does not go in silently.
var rules = []rule{
	{
		name: "kiosk-pure",
		why: "kiosk/ is the pure domain core (DESIGN.md §1): no UI toolkit, no database, no network " +
			"or process I/O, no device library and nothing of the layers above it; give it the data " +
			"or an interface from cmd/ instead",
		pkgs: []string{"./kiosk/..."},
		deny: []string{"fyne.io/...", "go.etcd.io/bbolt/...", "net", "net/http/...", "os/exec",
			"github.com/tarm/serial/...", "github.com/google/gousb/...", "github.com/creack/pty/...",
			"./drivers/...", "./ui/...", "./sync/...", "./cmd/..."},
		transitive: true, testsToo: true,
	},
	{
		name: "drivers-below-ui-and-sync",
		why: "drivers/ sit below the UI and the sync path (cmd → sync/ui → drivers → kiosk); " +
			"report through health and return values, let cmd/ wire them up",
		pkgs:       []string{"./drivers/..."},
		deny:       []string{"./ui/...", "./sync/...", "./cmd/..."},
		transitive: true, testsToo: true,
	},
	{
		name: "serial-usb-only-in-transport",
		why: "drivers talk to devices through transport.Port so the same code runs on serial, USB " +
			"and a simulator's pseudo-terminal; only drivers/transport opens ports",
		pkgs:   []string{"./..."},
		except: []string{"./drivers/transport"},
		deny:   []string{"github.com/tarm/serial/...", "github.com/google/gousb/...", "github.com/creack/pty/..."},
		// Direct only: everything that opens a device reaches these through transport.
		testsToo: true,
	},
	{
		name: "fyne-only-in-ui",
		why: "only the UI (ui/...) and the kiosk binary that wires it (cmd/kiosk) know Fyne; " +
			"everything else must build and test without a display",
		pkgs: []string{"./..."},
		except: []string{"./ui/...", "./cmd/kiosk",
			// The memory baseline the kiosk is measured against is a bare Fyne window by
			// definition (docs/PERFORMANCE.md, e2e memory test).
			"./e2e/barewindow"},
		deny:       []string{"fyne.io/..."},
		transitive: true, testsToo: true,
	},
	{
		name: "ui-through-interfaces",
		why: "screens receive interfaces (IdentitySource, Submitter, Printer...) so the Fyne test " +
			"driver runs every screen without devices or network; cmd/kiosk passes the real ones in",
		pkgs: []string{"./ui/..."},
		deny: []string{"./sync/...", "./drivers/...", "go.etcd.io/bbolt/..."},
		// The one health model is data the screens show, not a device.
		allow:      []string{"./drivers/health"},
		transitive: true, testsToo: true,
	},
	{
		name: "sync-below-ui",
		why: "the sync path runs headless (kiosk and hub alike) and reaches devices only as the " +
			"health data the heartbeat carries",
		pkgs:       []string{"./sync/..."},
		deny:       []string{"./ui/...", "./drivers/...", "./cmd/..."},
		allow:      []string{"./drivers/health"},
		transitive: true, testsToo: true,
	},
	{
		name: "protocol-self-contained",
		why: "sync/protocol is the wire format (docs/PROTOCOL.md): it depends on nothing of the " +
			"app, so a change elsewhere can never change what goes over the wire unnoticed; give " +
			"the message its own type and convert at the edge (sync/client, sync/hub)",
		pkgs:       []string{"./sync/protocol"},
		deny:       []string{"./..."},
		transitive: true, testsToo: true,
	},
	{
		name: "no-test-code-in-binaries",
		why: "test fakes and the testing package never ship in a binary; move the helper " +
			"into a _test.go file or behind an interface",
		pkgs: []string{"./cmd/..."},
		deny: []string{"testing", "testing/...", "fyne.io/fyne/v2/test", "./ui/uitest",
			"./drivers/transport/transporttest", "./internal/archtest"},
		transitive: true,
	},
}

// match reports whether an import path matches a pattern of the rules table.
func match(pattern, path, module string) bool {
	if rest, ok := strings.CutPrefix(pattern, "./"); ok {
		pattern = module + "/" + rest
	} else if pattern == "." {
		pattern = module
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}

func matchAny(patterns []string, path, module string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, path, module) })
}

func (r rule) governs(pkg, module string) bool {
	return matchAny(r.pkgs, pkg, module) && !matchAny(r.except, pkg, module)
}

func (r rule) denies(imp, module string) bool {
	return matchAny(r.deny, imp, module) && !matchAny(r.allow, imp, module)
}

// check returns one message per forbidden edge, naming the rule and the file.
func check(tr *tree, rules []rule) []string {
	var msgs []string
	for _, p := range tr.pkgs {
		for _, r := range rules {
			if !r.governs(p.ImportPath, tr.module) {
				continue
			}
			direct := map[string]bool{}
			for _, fi := range tr.files[p.ImportPath] {
				if fi.test && !r.testsToo {
					continue
				}
				if r.denies(fi.path, tr.module) {
					direct[fi.path] = true
					msgs = append(msgs, fmt.Sprintf("guard %q: %s:%d imports %q\n\t%s",
						r.name, fi.file, fi.line, fi.path, r.why))
				}
			}
			if r.transitive {
				msgs = append(msgs, checkIndirect(tr, r, p, direct)...)
			}
		}
	}
	return msgs
}

// checkIndirect reports denied packages a package reaches through allowed imports, once
// per import of the package that leads there, and only where the edge starts: a package
// that reaches the denied one through another package the rule governs is left to that
// package's report, so one bad import gives one message, not one per importer.
func checkIndirect(tr *tree, r rule, p *listedPackage, direct map[string]bool) []string {
	type via struct {
		chain []string
		n     int
	}
	byHop := map[string]*via{}
	for _, dep := range p.Deps {
		if !r.denies(dep, tr.module) || direct[dep] {
			continue
		}
		c := tr.chain(p.ImportPath, dep)
		if len(c) < 3 || r.denies(c[1], tr.module) {
			continue // a direct import, reported with its file already
		}
		if slices.ContainsFunc(c[1:len(c)-1], func(mid string) bool { return r.governs(mid, tr.module) }) {
			continue // a package on the way breaks the same rule and is reported itself
		}
		if v, ok := byHop[c[1]]; ok {
			v.n++
		} else {
			byHop[c[1]] = &via{chain: c, n: 1}
		}
	}
	hops := make([]string, 0, len(byHop))
	for h := range byHop {
		hops = append(hops, h)
	}
	sort.Strings(hops)
	var msgs []string
	for _, hop := range hops {
		v := byHop[hop]
		where := p.ImportPath
		for _, fi := range tr.files[p.ImportPath] {
			if fi.path == hop && !fi.test {
				where = fmt.Sprintf("%s:%d", fi.file, fi.line)
				break
			}
		}
		more := ""
		if v.n > 1 {
			more = fmt.Sprintf(" (and %d more forbidden packages that way)", v.n-1)
		}
		msgs = append(msgs, fmt.Sprintf("guard %q: %s imports %q, which brings in %q%s\n\tchain: %s\n\t%s",
			r.name, where, hop, v.chain[len(v.chain)-1], more, strings.Join(v.chain, " → "), r.why))
	}
	return msgs
}

// TestDependencyGuards fails on every import edge the rules forbid, naming the rule and
// the file, so the layers stay as DESIGN.md draws them however the tree grows.
func TestDependencyGuards(t *testing.T) {
	tr, err := loadTree(moduleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.pkgs) < 10 {
		t.Fatalf("listed only %d packages of %s: the loader is broken", len(tr.pkgs), tr.module)
	}
	for _, r := range rules {
		n := 0
		for _, p := range tr.pkgs {
			if r.governs(p.ImportPath, tr.module) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("guard %q governs no package: its pattern is stale", r.name)
		}
	}
	for _, m := range check(tr, rules) {
		t.Error(m)
	}
}

// TestGuardsCatchViolations runs the same rules over a small module under testdata that
// breaks each of them in a known way, so a guard that stopped seeing anything fails here.
func TestGuardsCatchViolations(t *testing.T) {
	tr, err := loadTree(moduleRoot(t) + "/internal/archtest/testdata/depsfixture")
	if err != nil {
		t.Fatal(err)
	}
	got := check(tr, rules)
	want := []string{
		`guard "kiosk-pure": kiosk/bad/bad.go:5 imports "net"`,
		`guard "kiosk-pure": kiosk/bad/bad.go:6 imports "os/exec"`,
		`guard "kiosk-pure": kiosk/bad/bad_test.go:4 imports "github.com/govkiosk/govkiosk/sync/protocol"`,
		`guard "kiosk-pure": kiosk/indirect/indirect.go:5 imports "github.com/govkiosk/govkiosk/internal/dial", which brings in "net"`,
		`guard "drivers-below-ui-and-sync": drivers/thing/thing.go:5 imports "github.com/govkiosk/govkiosk/sync/protocol"`,
		`guard "serial-usb-only-in-transport": drivers/thing/thing.go:6 imports "github.com/tarm/serial"`,
		`guard "sync-below-ui": sync/client/client.go:4 imports "github.com/govkiosk/govkiosk/drivers/thing"`,
		`guard "protocol-self-contained": sync/protocol/protocol.go:4 imports "github.com/govkiosk/govkiosk/internal/dial"`,
		`guard "fyne-only-in-ui": cmd/tool/main.go:7 imports "github.com/govkiosk/govkiosk/ui/screen", which brings in "fyne.io/fyne/v2"`,
		`guard "no-test-code-in-binaries": cmd/tool/main.go:5 imports "testing"`,
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(m string) bool { return strings.HasPrefix(m, w) }) {
			t.Errorf("no message starting %s", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d messages, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
}
