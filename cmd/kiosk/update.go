package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/internal/atomicfile"
	"github.com/govkiosk/govkiosk/internal/update"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// statusFile is the update steps, one a line ("TIME STEP VERSION [DETAIL]"), in the spool:
// the kiosk appends its own steps and the install helper (root) appends installing,
// installed, rolled_back, so what the helper did while the kiosk was being replaced is
// reported by the new kiosk. Every heartbeat carries its last lines.
const statusFile = "status"

// updater is the kiosk's side of software updates: an "update" command from the hub is
// checked at once (signed by the release key, this package and architecture, newer
// than what runs), downloaded and verified in the background by the update agent, and
// handed to the privileged install helper when no visit is in progress. Each step goes
// to the spool's status file and to the hub in the next heartbeat, sent at once.
type updater struct {
	log *slog.Logger
	// agent is nil when updates are off; off says why.
	agent  *update.Agent
	off    string
	status string
	// retry is the wait before a download that failed on the way (not refused) is tried
	// again; poll how often an install waiting for the visit to end looks again.
	retry, poll time.Duration
	// restartWait bounds the start screen's hold after the install request: the helper
	// verifies, installs and restarts the kiosk well within it, so a kiosk still running
	// at its end serves residents again.
	restartWait time.Duration
	// report asks for a heartbeat now (the sync client's ReportNow).
	report func()
	// watch is how often the status file is looked at while an install is in flight:
	// the helper appends its outcome after its health wait, while this kiosk runs.
	watch time.Duration
	// wrote wakes the status watch after the kiosk's own step.
	wrote chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu sync.Mutex
	// do runs a function on the UI goroutine and screens are asked and held on it; both
	// nil until the screens exist.
	do      func(func())
	screens updateScreens
	// answered is the answer given to each release (by SHA-256), so a release the hub
	// announces again is not taken twice and reports no new step.
	answered map[string]answer
	// next is an announcement waiting for the current download to end.
	taking bool
	next   map[string]string
	// pending is the newest verified package waiting for the visit to end.
	pending        string
	pendingVersion string
	installing     bool
}

// newUpdater sets updates up from the configuration: the release key (shipped in the
// package) and the spool the install helper watches. Without a key updates are off and
// every announcement is refused saying so.
func newUpdater(cfg *config.Config, link client.LinkOptions, log *slog.Logger) *updater {
	ctx, cancel := context.WithCancel(context.Background())
	u := &updater{log: log, status: filepath.Join(cfg.UpdateSpool(), statusFile), retry: 5 * time.Minute, poll: time.Second,
		watch: time.Second, wrote: make(chan struct{}, 1), restartWait: restartWait, ctx: ctx, cancel: cancel, answered: map[string]answer{}}
	if !update.ValidVersion(version) {
		u.off = "this build (" + version + ") is not a packaged version"
		log.Info("software updates off", "reason", u.off)
		return u
	}
	b, err := os.ReadFile(cfg.UpdateKeyFile())
	if err != nil {
		u.off = "no release key on this terminal (" + cfg.UpdateKeyFile() + ")"
		log.Info("software updates off", "reason", u.off)
		return u
	}
	key, err := update.ParsePublicKey(b)
	if err != nil {
		u.off = "the release key " + cfg.UpdateKeyFile() + " cannot be read"
		log.Warn("software updates off", "reason", u.off, "err", err)
		return u
	}
	tlsConf, err := link.TLSConfig()
	if err != nil {
		u.off = "the platform link's TLS settings: " + err.Error()
		log.Warn("software updates off", "reason", u.off)
		return u
	}
	u.agent = &update.Agent{
		Key:       key,
		Installed: update.Installed{Package: "govkiosk", Version: version, Arch: runtime.GOARCH},
		Pilot:     cfg.UpdateChannel() == config.UpdateChannelPilot,
		Spool:     cfg.UpdateSpool(),
		Hub:       cfg.UpdateHubURL(),
		Client: &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: tlsConf,
			ResponseHeaderTimeout: time.Minute}},
		Report: u.step,
	}
	u.trimStatus()
	log.Info("software updates on", "channel", cfg.UpdateChannel(), "hub", u.agent.Hub, "spool", u.agent.Spool, "runs", version)
	return u
}

// restartWait is how long the start screen is held, at most, for the install helper to
// restart the kiosk: its verify and dpkg -i take seconds to a minute.
const restartWait = 3 * time.Minute

// updateScreens is what the updater needs of the screens (*ui.App), on the UI goroutine.
type updateScreens interface {
	// InVisit reports whether a resident may be using the kiosk.
	InVisit() bool
	// HoldForUpdate shows "updating, please wait" in place of the start screen, taking
	// no visit; false during a visit. EndUpdateHold serves residents again.
	HoldForUpdate() bool
	EndUpdateHold()
}

// setScreens lets installs happen: do reaches the UI goroutine, where the screens are
// asked whether a visit is in progress and held while the update is installed.
func (u *updater) setScreens(do func(func()), screens updateScreens) {
	u.mu.Lock()
	u.do, u.screens = do, screens
	u.mu.Unlock()
}

// stop ends downloads and waits.
func (u *updater) stop() {
	u.cancel()
	u.wg.Wait()
}

// step records an update step in the status file and has it reported at once.
func (u *updater) step(s update.Step, ver, detail string) {
	detail = strings.Join(strings.Fields(detail), " ")
	if len(detail) > 200 {
		detail = detail[:200]
	}
	if !update.ValidVersion(ver) {
		ver = "unknown"
	}
	line := strings.TrimSpace(fmt.Sprintf("%s %s %s %s", time.Now().UTC().Format(time.RFC3339), s, ver, detail)) + "\n"
	u.log.Info("software update", "step", string(s), "version", ver, "detail", detail)
	if err := os.MkdirAll(filepath.Dir(u.status), 0o755); err == nil {
		f, err := os.OpenFile(u.status, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err == nil {
			_, err = f.WriteString(line)
			f.Close()
		}
		if err != nil {
			u.log.Warn("update step not recorded", "err", err)
		}
	}
	select {
	case u.wrote <- struct{}{}:
	default:
	}
	if u.report != nil {
		u.report()
	}
}

// start begins the updater's background work once report is set: a package verified
// before a restart is taken up again (resume), and the status file is watched
// (watchStatus).
func (u *updater) start() {
	u.resume()
	u.watchStatus()
}

// resume takes up a package that was downloaded and verified before the kiosk
// restarted (a power cut, a crash, a restart between visits) instead of waiting for the
// hub to announce it again, which it does only once its held command is gone (a day).
// Each spooled package is checked again as if just downloaded: its manifest signed by
// the release key, for this package and architecture, newer than what runs, and the
// bytes against the manifest. The newest that passes installs between visits; the
// others are removed. Nothing is touched while the helper has an install in hand (the
// status file ends with installing: this start may be the new version's, during the
// helper's health wait), nor when an install request is waiting for it.
func (u *updater) resume() {
	if u.agent == nil || u.installInFlight() {
		return
	}
	if _, err := os.Stat(filepath.Join(u.agent.Spool, update.RequestFile)); err == nil {
		return
	}
	// A cut download of a version that is no longer newer would never be resumed.
	parts, _ := filepath.Glob(filepath.Join(u.agent.Spool, "*.deb.part"))
	for _, p := range parts {
		if f := strings.Split(filepath.Base(p), "_"); len(f) == 3 && update.ValidVersion(f[1]) &&
			update.CompareVersions(f[1], u.agent.Installed.Version) <= 0 {
			u.discard(p)
		}
	}
	manifests, _ := filepath.Glob(filepath.Join(u.agent.Spool, "*.deb.release"))
	var best string
	var bestRel update.Release
	for _, m := range manifests {
		pkg := strings.TrimSuffix(m, ".release")
		r, err := u.checkSpooled(m, pkg)
		switch {
		case errors.Is(err, update.ErrDowngrade) || errors.Is(err, errEnded):
			// Installed already, or the helper gave up on it: not worth a report.
			u.log.Info("spooled update package removed", "package", filepath.Base(pkg), "reason", err)
		case err != nil:
			u.step(update.StepRefused, r.Version, "spooled package: "+err.Error())
		case best == "" || update.CompareVersions(r.Version, bestRel.Version) > 0:
			if best != "" {
				u.discard(best)
			}
			best, bestRel = pkg, r
			continue
		}
		u.discard(pkg)
	}
	if best == "" {
		return
	}
	u.step(update.StepVerified, bestRel.Version, "kept in the spool across a restart and verified again")
	u.mu.Lock()
	u.pending, u.pendingVersion = best, bestRel.Version
	u.answered[bestRel.SHA256] = answer{out: bestRel.Version + " is verified already and installs between visits"}
	u.installing = true
	u.wg.Add(1)
	go u.installWhenIdle()
	u.mu.Unlock()
}

// errEnded is a spooled package not to install any more: the install helper already
// refused it, failed to install it or rolled it back, or it is a pilot release and the
// terminal no longer takes those.
var errEnded = errors.New("no longer to be installed")

// checkSpooled checks a spooled package and its signed manifest again.
func (u *updater) checkSpooled(manifest, pkg string) (update.Release, error) {
	b, err := os.ReadFile(manifest)
	if err != nil {
		return update.Release{}, err
	}
	r, err := update.Parse(b)
	if err != nil {
		return update.Release{}, err
	}
	if err := r.Accept(u.agent.Key, u.agent.Installed); err != nil {
		return r, err
	}
	if r.Channel == update.ChannelPilot && !u.agent.Pilot {
		return r, errEnded // the terminal left the pilot channel since
	}
	if filepath.Base(pkg) != r.FileName() {
		return r, fmt.Errorf("%w: %s is named %s in its manifest", update.ErrMalformed, filepath.Base(pkg), r.FileName())
	}
	for _, s := range u.allSteps() {
		if s.Version == r.Version && slices.Contains([]string{"refused", "failed", "rolled_back", "rollback_impossible"}, s.Step) {
			return r, errEnded
		}
	}
	f, err := os.Open(pkg)
	if err != nil {
		return r, err
	}
	defer f.Close()
	return r, r.VerifyPackage(f)
}

// discard removes a spooled package and its manifest.
func (u *updater) discard(pkg string) {
	for _, p := range []string{pkg, pkg + ".release"} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			u.log.Warn("spooled update package not removed", "file", filepath.Base(p), "err", err)
		}
	}
}

// watchStatus has the install helper's steps reported as soon as they are written.
// The helper writes installing, then, after its health wait (90 s) while the new
// kiosk already runs, installed, rolled_back or rollback_impossible; without a watch
// those reach the hub only with the next periodic heartbeat. While the last step is
// installing the file is looked at every u.watch (a stat); otherwise the watch sleeps
// until the kiosk writes a step itself. Call it once report is set.
func (u *updater) watchStatus() {
	if u.agent == nil || u.watch <= 0 {
		return
	}
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		last := u.statusStamp()
		inFlight := u.installInFlight()
		for {
			var tick <-chan time.Time
			if inFlight {
				tick = time.After(u.watch)
			}
			select {
			case <-u.ctx.Done():
				return
			case <-u.wrote:
			case <-tick:
			}
			cur := u.statusStamp()
			if cur == last {
				continue
			}
			last = cur
			inFlight = u.installInFlight()
			if u.report != nil {
				u.report()
			}
		}
	}()
}

// statusStamp identifies the status file's content cheaply: its size and time (a
// trim rewrites it shorter).
type statusStamp struct {
	size int64
	mod  time.Time
}

func (u *updater) statusStamp() statusStamp {
	fi, err := os.Stat(u.status)
	if err != nil {
		return statusStamp{}
	}
	return statusStamp{fi.Size(), fi.ModTime()}
}

// installInFlight reports whether the last step is installing: the helper has the
// package and has not written how it ended.
func (u *updater) installInFlight() bool {
	s := u.steps()
	return len(s) > 0 && s[len(s)-1].Step == string(update.StepInstalling)
}

// steps are the last update steps in the status file, for the heartbeat: the kiosk's
// and the install helper's, including those from before this start.
func (u *updater) steps() []protocol.UpdateStep {
	return u.readSteps(protocol.MaxUpdateSteps)
}

// allSteps are every step in the status file (it is trimmed to a few hundred lines).
func (u *updater) allSteps() []protocol.UpdateStep { return u.readSteps(0) }

// readSteps returns the status file's last n steps; every one when n is 0.
func (u *updater) readSteps(n int) []protocol.UpdateStep {
	f, err := os.Open(u.status)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []protocol.UpdateStep
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s, ok := parseStep(sc.Text()); ok {
			out = append(out, s)
			if n > 0 && len(out) > n {
				out = out[1:]
			}
		}
	}
	return out
}

// parseStep reads one status line; lines that do not fit are skipped.
func parseStep(line string) (protocol.UpdateStep, bool) {
	f := strings.SplitN(line, " ", 4)
	if len(f) < 3 {
		return protocol.UpdateStep{}, false
	}
	at, err := time.Parse(time.RFC3339, f[0])
	if err != nil || !slices.Contains(protocol.UpdateSteps, f[1]) || !protocol.ValidVersion(f[2]) {
		return protocol.UpdateStep{}, false
	}
	s := protocol.UpdateStep{At: at.UTC(), Step: f[1], Version: f[2]}
	if len(f) == 4 {
		s.Detail = strings.ToValidUTF8(f[3], "?")
		if len(s.Detail) > 256 {
			s.Detail = s.Detail[:256]
		}
	}
	return s, true
}

// trimStatus keeps the status file short: the last 32 lines once it passes 256.
func (u *updater) trimStatus() {
	b, err := os.ReadFile(u.status)
	if err != nil {
		return
	}
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) <= 256 {
		return
	}
	if err := atomicfile.WriteFile(u.status, []byte(strings.Join(lines[len(lines)-32:], "")), 0o644); err != nil {
		u.log.Warn("update status not trimmed", "err", err)
	}
}

// command answers the hub's update command. The announcement is checked at once, so a
// release that is not for this terminal is answered as refused (or skipped); one that
// is is downloaded in the background and the answer says so.
func (u *updater) command(ctx context.Context, args map[string]string) (string, error) {
	r, err := update.FromArgs(args)
	if u.agent == nil {
		u.step(update.StepRefused, args["version"], "updates off: "+u.off)
		return "", errors.New("software updates are off on this terminal: " + u.off)
	}
	u.mu.Lock()
	if err == nil {
		if a, ok := u.answered[r.SHA256]; ok {
			u.mu.Unlock()
			return a.out, a.err
		}
	}
	u.mu.Unlock()
	if err == nil && r.Channel == update.ChannelPilot && !u.agent.Pilot {
		_, _ = u.agent.Take(ctx, args) // reports skipped; downloads nothing
		return u.remember(r, answer{out: "skipped: a pilot release, and this terminal takes the all channel"})
	}
	if err == nil {
		err = r.Accept(u.agent.Key, u.agent.Installed)
	}
	if err != nil {
		// Take refuses it the same way before downloading anything, and reports it.
		_, _ = u.agent.Take(ctx, args)
		if r.SHA256 != "" {
			u.remember(r, answer{err: err})
		}
		return "", err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.pendingVersion != "" && update.CompareVersions(u.pendingVersion, r.Version) >= 0 {
		return "", fmt.Errorf("%s is verified already and installs between visits", u.pendingVersion)
	}
	if u.taking {
		u.next = args
		u.answered[r.SHA256] = answer{out: "downloading " + r.Version + " after the download in progress"}
		return u.answered[r.SHA256].out, nil
	}
	u.taking = true
	u.answered[r.SHA256] = answer{out: "downloading " + r.Version + " in the background; it installs between visits"}
	u.wg.Add(1)
	go u.take(args)
	return u.answered[r.SHA256].out, nil
}

// answer is what an update command was answered.
type answer struct {
	out string
	err error
}

func (u *updater) remember(r update.Release, a answer) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.answered[r.SHA256] = a
	return a.out, a.err
}

// permanent reports whether a failed take is the release's fault, not the way's: it is
// not tried again.
func permanent(err error) bool {
	for _, e := range []error{update.ErrMalformed, update.ErrBadSignature, update.ErrTampered, update.ErrDowngrade, update.ErrWrongTarget} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// take downloads and verifies a release, trying again after a failure on the way (a
// cut link resumes where it stopped), then goes on with the next announcement.
func (u *updater) take(args map[string]string) {
	defer u.wg.Done()
	for args != nil {
		var pkg string
		for try := 1; ; try++ {
			var err error
			pkg, err = u.agent.Take(u.ctx, args)
			if err == nil || permanent(err) || u.ctx.Err() != nil || try == 24 {
				if err != nil && !permanent(err) {
					u.log.Warn("update download given up until the platform announces it again", "version", args["version"], "err", err)
				}
				break
			}
			u.log.Info("update download failed; trying again", "version", args["version"], "err", err, "in", u.retry)
			select {
			case <-u.ctx.Done():
			case <-time.After(u.retry):
			}
		}
		u.mu.Lock()
		if pkg != "" {
			u.pending, u.pendingVersion = pkg, args["version"]
			if !u.installing {
				u.installing = true
				u.wg.Add(1)
				go u.installWhenIdle()
			}
		}
		args, u.next = u.next, nil
		if args == nil {
			u.taking = false
		}
		u.mu.Unlock()
	}
}

// installWhenIdle hands the verified package to the install helper as soon as no visit
// is in progress, and holds the start screen until the helper restarts the kiosk. The
// check, the request and the hold are one turn of the UI goroutine, so no visit begins
// between them.
func (u *updater) installWhenIdle() {
	defer u.wg.Done()
	for {
		u.mu.Lock()
		do, screens, pkg, ver := u.do, u.screens, u.pending, u.pendingVersion
		u.mu.Unlock()
		if do != nil {
			var err error
			var mark int64
			done := make(chan struct{})
			do(func() {
				defer close(done)
				u.agent.InVisit = screens.InVisit
				if err = u.agent.Install(pkg); err == nil {
					screens.HoldForUpdate()
					mark = u.statusSize()
				}
			})
			select {
			case <-done:
			case <-u.ctx.Done():
				return
			}
			switch {
			case err == nil:
				u.log.Warn("update handed to the install helper between visits; the start screen holds until it restarts the kiosk on the new version",
					"package", filepath.Base(pkg), "wait", u.restartWait)
				u.mu.Lock()
				if u.pending == pkg {
					u.pending = ""
				}
				u.mu.Unlock()
				if !u.awaitRestart(do, screens, ver, mark) {
					return
				}
				// The helper failed. A newer package verified meanwhile is installed
				// next; this one is not tried again.
				u.mu.Lock()
				if u.pending == "" {
					u.installing = false
					u.mu.Unlock()
					return
				}
				u.mu.Unlock()
				continue
			case !errors.Is(err, update.ErrInVisit):
				u.mu.Lock()
				ver := u.pendingVersion
				u.installing, u.pending, u.pendingVersion = false, "", ""
				u.mu.Unlock()
				u.step(update.StepRefused, ver, err.Error())
				return
			}
		}
		select {
		case <-u.ctx.Done():
			return
		case <-time.After(u.poll):
		}
	}
}

// awaitRestart waits, the start screen held, for the install helper to replace this
// kiosk. If the helper gives up first (it appends refused or failed to the status file)
// or the restart does not come within restartWait, the hold ends and residents are
// served again; a request the helper never took is withdrawn, so it cannot restart the
// kiosk later in the middle of a visit, and the reason goes to the hub as a failed step.
// It reports whether the kiosk goes on (false: it is stopping).
func (u *updater) awaitRestart(do func(func()), screens updateScreens, ver string, mark int64) bool {
	deadline := time.NewTimer(u.restartWait)
	defer deadline.Stop()
	var why string
wait:
	for {
		select {
		case <-u.ctx.Done():
			return false // the kiosk is stopping: the restart has come
		case <-deadline.C:
			why = fmt.Sprintf("the install helper took the request but did not restart the kiosk within %s", u.restartWait)
			if err := os.Remove(filepath.Join(u.agent.Spool, update.RequestFile)); err == nil {
				why = fmt.Sprintf("the install helper did not take the request within %s (is govkiosk-update.path running?); request withdrawn", u.restartWait)
			}
			u.step(update.StepFailed, ver, why+"; serving residents again")
			break wait
		case <-time.After(u.poll):
			if line := u.helperGaveUp(mark, ver); line != "" {
				why = "the install helper gave up: " + line
				if u.report != nil {
					u.report() // its line goes to the hub now
				}
				break wait
			}
		}
	}
	u.log.Warn("update not installed; the start screen serves residents again", "version", ver, "reason", why)
	done := make(chan struct{})
	do(func() {
		defer close(done)
		screens.EndUpdateHold()
	})
	select {
	case <-done:
		return true
	case <-u.ctx.Done():
		return false
	}
}

// statusSize is the status file's length: the helper's steps for a request are what
// follows it.
func (u *updater) statusSize() int64 {
	fi, err := os.Stat(u.status)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// helperGaveUp returns the install helper's refused or failed line for version ver
// (or for a request it could not read) written after mark in the status file, or "".
func (u *updater) helperGaveUp(mark int64, ver string) string {
	f, err := os.Open(u.status)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(mark, io.SeekStart); err != nil {
		return ""
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		if step := update.Step(fields[1]); (step == update.StepRefused || step == update.StepFailed) &&
			(fields[2] == ver || fields[2] == "bad-request") {
			return strings.Join(fields[1:], " ")
		}
	}
	return ""
}
