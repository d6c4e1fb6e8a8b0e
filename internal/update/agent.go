package update

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Step is one stage of an update on a terminal, as reported to the hub.
type Step string

// Steps a terminal reports.
const (
	StepDownloaded Step = "downloaded"
	StepVerified   Step = "verified"
	StepInstalling Step = "installing"
	StepInstalled  Step = "installed"
	StepRolledBack Step = "rolled_back"
	StepRefused    Step = "refused"
	StepSkipped    Step = "skipped" // another channel's release
	// StepFailed is an install that did not complete: the helper's dpkg failed, or the
	// kiosk waited in vain for the helper to restart it.
	StepFailed Step = "failed"
)

// ErrInVisit is an install asked for while a resident's visit is in progress.
var ErrInVisit = errors.New("update: a visit is in progress; installing waits until it ends")

// Agent is the terminal's side: it takes an announced release, downloads it in the
// background into the spool directory (resuming a cut download), verifies it with the
// release public key, and hands a verified package to the privileged install helper
// between visits by writing the request file its systemd path unit watches.
type Agent struct {
	Key       ed25519.PublicKey
	Installed Installed
	// Pilot terminals take pilot and all releases; others take all only.
	Pilot bool
	// Spool is the directory shared with the install helper.
	Spool string
	// Hub is the hub's base URL (http:// or https://) downloads are fetched from.
	Hub    string
	Client *http.Client
	// InVisit reports whether a resident's visit is in progress.
	InVisit func() bool
	// Report is told each step (no personal data: version and reason only).
	Report func(step Step, version, detail string)
}

// RequestFile is the install request the helper's path unit watches; it names the
// verified package in the spool.
const RequestFile = "install.request"

func (a *Agent) report(s Step, version, detail string) {
	if a.Report != nil {
		a.Report(s, version, detail)
	}
}

// Take handles an update command's args: it verifies the announcement, downloads the
// package and verifies it. It returns the spooled package's path, ready to install.
func (a *Agent) Take(ctx context.Context, args map[string]string) (string, error) {
	r, err := FromArgs(args)
	if err != nil {
		a.report(StepRefused, args["version"], err.Error())
		return "", err
	}
	if r.Channel == ChannelPilot && !a.Pilot {
		a.report(StepSkipped, r.Version, "pilot release; this terminal takes the all channel")
		return "", nil
	}
	if err := r.Accept(a.Key, a.Installed); err != nil {
		a.report(StepRefused, r.Version, err.Error())
		return "", err
	}
	path := args["path"]
	if !strings.HasPrefix(path, "/releases/") || strings.Contains(path, "..") {
		err := fmt.Errorf("%w: download path %q", ErrMalformed, path)
		a.report(StepRefused, r.Version, err.Error())
		return "", err
	}
	if err := os.MkdirAll(a.Spool, 0o755); err != nil {
		return "", err
	}
	final := filepath.Join(a.Spool, r.FileName())
	part := final + ".part"
	if err := a.download(ctx, strings.TrimSuffix(a.Hub, "/")+path, part, r.Size); err != nil {
		return "", err
	}
	a.report(StepDownloaded, r.Version, "")
	f, err := os.Open(part)
	if err != nil {
		return "", err
	}
	err = r.VerifyPackage(f)
	f.Close()
	if err != nil {
		os.Remove(part) // a bad file is fetched again from the start
		a.report(StepRefused, r.Version, err.Error())
		return "", err
	}
	if err := os.WriteFile(final+".release", r.Marshal(), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(part, final); err != nil {
		return "", err
	}
	a.report(StepVerified, r.Version, "")
	return final, nil
}

// download fetches url into part, continuing from part's size with a Range request.
func (a *Agent) download(ctx context.Context, url, part string, size int64) error {
	client := a.Client
	if client == nil {
		client = http.DefaultClient
	}
	f, err := os.OpenFile(part, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	have, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if have > size {
		if err := f.Truncate(0); err != nil {
			return err
		}
		have, _ = f.Seek(0, io.SeekStart)
	}
	if have == size {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("update: download: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent && have > 0:
	case resp.StatusCode == http.StatusOK:
		// The server sent the whole file: start over.
		if err := f.Truncate(0); err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
	default:
		return fmt.Errorf("update: download: hub answered %s", resp.Status)
	}
	if _, err := io.Copy(f, io.LimitReader(resp.Body, size+1)); err != nil {
		return fmt.Errorf("update: download: %w (kept; resumes next time)", err)
	}
	return f.Sync()
}

// Install asks the privileged helper to install a verified package, never during a
// visit: it writes the request file naming the package (relative to the spool).
func (a *Agent) Install(pkg string) error {
	if a.InVisit != nil && a.InVisit() {
		return ErrInVisit
	}
	rel, err := filepath.Rel(a.Spool, pkg)
	if err != nil || strings.Contains(rel, "/") || strings.HasPrefix(rel, ".") {
		return fmt.Errorf("%w: %s is not in the spool", ErrMalformed, pkg)
	}
	tmp := filepath.Join(a.Spool, "."+RequestFile)
	if err := os.WriteFile(tmp, []byte(rel+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(a.Spool, RequestFile)); err != nil {
		return err
	}
	version := ""
	if f := strings.Split(rel, "_"); len(f) == 3 {
		version = f[1]
	}
	a.report(StepInstalling, version, "")
	return nil
}
