package hub

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/internal/update"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

func releaseKeys(t *testing.T) (ed25519.PrivateKey, ed25519.PublicKey) {
	t.Helper()
	privFile, pubFile, err := update.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := update.ParsePrivateKey(privFile)
	pub, _ := update.ParsePublicKey(pubFile)
	return priv, pub
}

func signRelease(t *testing.T, key ed25519.PrivateKey, deb []byte, version, channel string) []byte {
	t.Helper()
	m, err := update.Describe(bytes.NewReader(deb), "govkiosk", version, "amd64", channel)
	if err != nil {
		t.Fatal(err)
	}
	r, err := update.Sign(m, key)
	if err != nil {
		t.Fatal(err)
	}
	return r.Marshal()
}

// postRelease publishes over real HTTP as multipart: manifest, then package.
func postRelease(t *testing.T, th *testHub, authz string, manifest, deb []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("manifest", "govkiosk.deb.release")
	fw.Write(manifest)
	fw, _ = mw.CreateFormFile("package", "govkiosk.deb")
	fw.Write(deb)
	mw.Close()
	req, _ := http.NewRequest("POST", th.url("/api/releases"), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", authz)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestPublishRelease: an operator publishes a signed release on the pilot channel; a
// viewer may not; a package that is not the signed one and a manifest signed by another
// key are refused. A connected terminal is told with an update command carrying the
// signed manifest, downloads the package (and resumes it with a Range request), and
// every attempt is in the audit log.
func TestPublishRelease(t *testing.T) {
	priv, pub := releaseKeys(t)
	other, _ := releaseKeys(t)
	th, secrets := opHub(t, Options{ReleaseKey: pub})
	tk := th.enroll(t)
	r := th.connect(t, tk)
	op := basic("op-operator", secrets[RoleOperator])
	deb := bytes.Repeat([]byte("synthetic .deb body "), 1000)
	manifest := signRelease(t, priv, deb, "1.3.0", update.ChannelPilot)

	if code, body := postRelease(t, th, basic("op-viewer", secrets[RoleViewer]), manifest, deb); code != 403 {
		t.Fatalf("viewer published: %d %s", code, body)
	}
	tampered := append([]byte(nil), deb...)
	tampered[100] ^= 1
	if code, body := postRelease(t, th, op, manifest, tampered); code != 400 || !strings.Contains(body, "does not match") {
		t.Fatalf("tampered package: %d %s", code, body)
	}
	if code, body := postRelease(t, th, op, signRelease(t, other, deb, "1.3.0", update.ChannelPilot), deb); code != 400 || !strings.Contains(body, "signature") {
		t.Fatalf("other key: %d %s", code, body)
	}
	if code, body := postRelease(t, th, op, manifest, deb); code != 200 {
		t.Fatalf("publish: %d %s", code, body)
	}

	cmd := expect[*protocol.Command](r)
	if cmd.Name != CommandUpdate || cmd.Args["version"] != "1.3.0" || cmd.Args["channel"] != "pilot" {
		t.Fatalf("command %+v", cmd)
	}
	rel, err := update.FromArgs(cmd.Args)
	if err != nil {
		t.Fatal(err)
	}
	if err := rel.Accept(pub, update.Installed{Package: "govkiosk", Version: "1.2.0", Arch: "amd64"}); err != nil {
		t.Fatalf("the announced release does not verify: %v", err)
	}

	// Download, then resume from byte 5000.
	resp, err := http.Get(th.url(cmd.Args["path"]))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || rel.VerifyPackage(bytes.NewReader(got)) != nil {
		t.Fatalf("download: %d, %d bytes", resp.StatusCode, len(got))
	}
	req, _ := http.NewRequest("GET", th.url(cmd.Args["path"]), nil)
	req.Header.Set("Range", "bytes=5000-")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(rest, deb[5000:]) {
		t.Fatalf("resume: %d, %d bytes", resp.StatusCode, len(rest))
	}
	for _, bad := range []string{"/releases/../hub.db", "/releases/" + strings.Repeat("0", 64) + ".deb", "/releases/x.deb"} {
		if resp, err := http.Get(th.url(bad)); err == nil {
			resp.Body.Close()
			if resp.StatusCode != 404 {
				t.Errorf("GET %s: %d", bad, resp.StatusCode)
			}
		}
	}

	// The channel's release, listed and kept across a restart.
	th.Close()
	th2 := startHub(t, th.opt)
	rec := call(th2.Hub, "GET", "/api/releases", op, "127.0.0.1:4000", false, "")
	var list map[string]struct {
		Manifest update.Manifest `json:"manifest"`
		By       string          `json:"by"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || list["pilot"].Manifest.Version != "1.3.0" || list["pilot"].By != "op-operator" {
		t.Fatalf("releases %d %s", rec.Code, rec.Body)
	}
	if _, ok := list["all"]; ok {
		t.Errorf("a pilot release listed on all: %s", rec.Body)
	}

	entries, err := th2.AuditLog(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range entries {
		if e.Action == "release.publish" {
			seen = append(seen, e.Actor+"/"+e.Purpose+"/"+itoa(e.Status))
		}
	}
	want := []string{"op-viewer//403", "op-operator//400", "op-operator//400", "op-operator/pilot 1.3.0/200"}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Errorf("audit %q, want %q", seen, want)
	}
}

// TestReleaseServedWithoutTheLocalCopy: the package is in the store, not only on the
// disk of the hub that received it. Here the bbolt hub loses its Dir/releases (a new
// disk, a restore from the database backup) and still serves the package whole and
// resumable.
func TestReleaseServedWithoutTheLocalCopy(t *testing.T) {
	priv, pub := releaseKeys(t)
	th, _ := opHub(t, Options{ReleaseKey: pub})
	deb := bytes.Repeat([]byte("synthetic .deb body, spanning chunks "), 3*releaseChunk/37+5)
	r, err := th.PublishRelease(signRelease(t, priv, deb, "1.4.0", update.ChannelAll), bytes.NewReader(deb), "op-operator")
	if err != nil {
		t.Fatal(err)
	}
	th.Close()
	if err := os.RemoveAll(filepath.Join(th.opt.Dir, "releases")); err != nil {
		t.Fatal(err)
	}
	th2 := startHub(t, th.opt)
	if got := download(t, th2, UpdateArgs(r)["path"], ""); !bytes.Equal(got, deb) {
		t.Fatalf("downloaded %d bytes, want the %d published", len(got), len(deb))
	}
	if got := download(t, th2, UpdateArgs(r)["path"], "bytes=1048570-"); !bytes.Equal(got, deb[1048570:]) {
		t.Fatalf("resumed %d bytes, want %d", len(got), len(deb)-1048570)
	}
}

// TestReplicasServeReleases: with PostgreSQL, a release published on one replica is
// downloaded from another (the terminal's connection may land anywhere behind the
// balancer).
func TestReplicasServeReleases(t *testing.T) {
	priv, pub := releaseKeys(t)
	hubs := startReplicas(t, 2)
	for _, h := range hubs {
		h.opt.ReleaseKey = pub
	}
	deb := bytes.Repeat([]byte("synthetic release for replicas "), 70000)
	r, err := hubs[0].PublishRelease(signRelease(t, priv, deb, "1.4.0", update.ChannelPilot), bytes.NewReader(deb), "op-operator")
	if err != nil {
		t.Fatal(err)
	}
	if got := download(t, hubs[1], UpdateArgs(r)["path"], ""); !bytes.Equal(got, deb) {
		t.Fatalf("the other replica served %d bytes, want the %d published", len(got), len(deb))
	}
	if got := download(t, hubs[1], UpdateArgs(r)["path"], "bytes=2000000-"); !bytes.Equal(got, deb[2000000:]) {
		t.Fatalf("resumed %d bytes", len(got))
	}
	rel, _, err := hubs[1].Release(update.ChannelPilot)
	if err != nil || rel.Version != "1.4.0" {
		t.Fatalf("the other replica lists %+v, %v", rel, err)
	}
}

func download(t *testing.T, th *testHub, path, rng string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", th.url(path), nil)
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if want := map[bool]int{false: 200, true: 206}[rng != ""]; resp.StatusCode != want {
		t.Fatalf("GET %s (%s): %d %s", path, rng, resp.StatusCode, b)
	}
	return b
}

// connectAs connects like testHub.connect, saying it runs app.
func connectAs(t *testing.T, th *testHub, tk *termKey, app string) *rawTerm {
	t.Helper()
	r := &rawTerm{t: t, ws: dialWS(t, th.wsURL()), tk: tk}
	r.send(&protocol.Hello{TerminalID: tk.id, Versions: []int{1}, App: app})
	ch := expect[*protocol.Challenge](r)
	r.send(protocol.SignChallenge(tk.key, tk.id, ch))
	expect[*protocol.Welcome](r)
	return r
}

// updateCommands counts the update commands the hub holds for a terminal.
func updateCommands(h *Hub, terminalID string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, cs := range h.commands {
		if cs.terminalID == terminalID && cs.cmd.Name == CommandUpdate {
			n++
		}
	}
	return n
}

// TestReleaseAnnouncedAtConnect: a terminal that was offline when a release was
// published, through a hub restart (commands are held in memory only), is told at
// connect when it runs an older version; once, not at every reconnect; never when it
// runs that version already. The update steps it reports in heartbeats reach the
// terminal list and the console's terminal page.
func TestReleaseAnnouncedAtConnect(t *testing.T) {
	priv, pub := releaseKeys(t)
	th, secrets := opHub(t, Options{ReleaseKey: pub})
	tk, current := th.enroll(t), th.enroll(t)
	op := basic("op-operator", secrets[RoleOperator])
	deb := bytes.Repeat([]byte("synthetic .deb body "), 500)
	if code, body := postRelease(t, th, op, signRelease(t, priv, deb, "1.3.0", update.ChannelAll), deb); code != 200 {
		t.Fatalf("publish: %d %s", code, body)
	}
	th.Close()
	th2 := startHub(t, th.opt)

	r := connectAs(t, th2, tk, "1.2.0")
	cmd := expect[*protocol.Command](r)
	if cmd.Name != CommandUpdate || cmd.Args["version"] != "1.3.0" || cmd.Args["channel"] != "all" {
		t.Fatalf("command at connect %+v", cmd)
	}
	r.send(&protocol.CommandResult{ID: cmd.ID, OK: true, Output: "downloading 1.3.0"})
	at := time.Now().UTC().Truncate(time.Second)
	hb := heartbeat()
	hb.Update = []protocol.UpdateStep{{At: at, Step: "downloaded", Version: "1.3.0"},
		{At: at, Step: "refused", Version: "1.3.0", Detail: "update: package does not match its signed manifest"}}
	r.send(hb)
	waitFor(t, "the update steps at the hub", func() bool {
		for _, ti := range th2.Terminals() {
			if ti.ID == tk.id && len(ti.Update) == 2 {
				return true
			}
		}
		return false
	})
	r.ws.Close()
	r = connectAs(t, th2, tk, "1.2.0")
	r.send(heartbeat())
	info := func(id string) TerminalInfo {
		for _, ti := range th2.Terminals() {
			if ti.ID == id {
				return ti
			}
		}
		return TerminalInfo{}
	}
	waitFor(t, "the reconnected terminal's heartbeat", func() bool { return info(tk.id).Update == nil })
	if n := updateCommands(th2.Hub, tk.id); n != 1 {
		t.Errorf("%d update commands after a reconnect, want the one", n)
	}
	rc := connectAs(t, th2, current, "1.3.0")
	rc.send(heartbeat())
	waitFor(t, "the current terminal's heartbeat", func() bool { return !info(current.id).HeartbeatAt.IsZero() })
	if n := updateCommands(th2.Hub, current.id); n != 0 {
		t.Errorf("a terminal on 1.3.0 was told about 1.3.0 (%d commands)", n)
	}

	hb.At = time.Now().UTC()
	r.send(hb)
	waitFor(t, "the steps again", func() bool { return len(info(tk.id).Update) == 2 })
	_, _, body := consoleSignIn(t, th2, "op-viewer", secrets[RoleViewer], "/console/terminals/"+tk.id)
	if !strings.Contains(body, `data-step="downloaded"`) || !strings.Contains(body, `<div class="bad" data-step="refused">`) ||
		!strings.Contains(body, "does not match its signed manifest") {
		t.Errorf("terminal page's update row:\n%s", between(body, `id="update-status"`, `<tr><th>enrolled`))
	}
}

// TestOldReleasesPruned: with two releases kept per channel, the sweep's prune deletes
// an old package from the store and from the hub's disk, but keeps each channel's
// newest two, the current pilot release (published before publications were recorded), the version a terminal runs, and a package an
// update command the hub still holds names; once that command is a day old the package
// goes too. A pruned package is no longer served, nor left on the hub's disk.
func TestOldReleasesPruned(t *testing.T) {
	priv, pub := releaseKeys(t)
	clock := newTestClock()
	th := startHub(t, Options{ReleaseKey: pub, ReleasesKept: 2, Now: clock.Now})
	tk := th.enroll(t)
	r := connectAs(t, th, tk, "1.0.0")
	hb := heartbeat()
	hb.App = "1.0.0"
	r.send(hb)
	waitFor(t, "the terminal's heartbeat", func() bool {
		ts := th.Terminals()
		return len(ts) == 1 && ts[0].App == "1.0.0"
	})
	r.ws.Close()
	waitFor(t, "the terminal offline", func() bool { return !th.Terminals()[0].Online })

	paths := map[string]string{}
	publish := func(ver, channel string) {
		t.Helper()
		clock.Advance(time.Hour)
		deb := bytes.Repeat([]byte("synthetic govkiosk "+ver+" "+channel+" "), 3000)
		rel, err := th.PublishRelease(signRelease(t, priv, deb, ver, channel), bytes.NewReader(deb), "op-operator")
		if err != nil {
			t.Fatal(err)
		}
		paths[ver] = UpdateArgs(rel)["path"]
	}
	served := func(th *testHub) string {
		var out []string
		for _, ver := range []string{"1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.5.0", "1.6.0", "1.7.0"} {
			if paths[ver] == "" {
				continue
			}
			resp, err := http.Get(th.url(paths[ver]))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == 200 {
				out = append(out, ver)
			}
		}
		return strings.Join(out, " ")
	}
	prune := func(want int) {
		t.Helper()
		if n := th.PruneReleases(); n != want {
			t.Fatalf("pruned %d packages, want %d", n, want)
		}
	}
	files := func() int {
		fs, _ := filepath.Glob(filepath.Join(th.opt.Dir, "releases", "*.deb"))
		return len(fs)
	}

	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0", "1.3.0"} {
		publish(v, update.ChannelAll)
	}
	// Pilot's 1.4.0 was published before publications were recorded: only the
	// package and the channel's current release are stored.
	legacy := bytes.Repeat([]byte("synthetic govkiosk 1.4.0 pilot "), 3000)
	manifest := signRelease(t, priv, legacy, "1.4.0", update.ChannelPilot)
	rel, err := update.Parse(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := th.st.putReleaseBlob(rel.SHA256, rel.Size, bytes.NewReader(legacy)); err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(ReleaseRecord{Manifest: string(manifest), By: "op-operator", Path: releasePath(rel.SHA256)})
	if err := th.st.putPublished(releaseKind(update.ChannelPilot), publishedRecord{Version: "1.4.0", Payload: payload, At: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	paths["1.4.0"] = releasePath(rel.SHA256)
	prune(0) // every package is named by a command held for the offline terminal
	clock.Advance(25 * time.Hour)
	th.PruneCommands()
	// all: 1.3.0 and 1.2.0 are the newest two; 1.0.0 runs on the terminal; pilot's 1.4.0.
	prune(1)
	if got := served(th); got != "1.0.0 1.2.0 1.3.0 1.4.0" {
		t.Fatalf("served after the prune: %q", got)
	}
	if n := files(); n != 4 {
		t.Errorf("%d packages on the hub's disk, want 4", n)
	}

	// 1.5.0 to 1.7.0 in one day: 1.5.0 is past the newest two but its command is held.
	for _, v := range []string{"1.5.0", "1.6.0", "1.7.0"} {
		publish(v, update.ChannelAll)
	}
	// A restart: what is held and what runs comes from the store.
	th.Close()
	th = startHub(t, th.opt)
	prune(2) // 1.2.0 and 1.3.0
	if got := served(th); got != "1.0.0 1.4.0 1.5.0 1.6.0 1.7.0" {
		t.Fatalf("served with 1.5.0's command held: %q", got)
	}
	clock.Advance(25 * time.Hour)
	th.PruneCommands()
	prune(1)
	prune(0)
	if got := served(th); got != "1.0.0 1.4.0 1.6.0 1.7.0" {
		t.Fatalf("served once the commands are gone: %q", got)
	}
	if n := files(); n != 4 {
		t.Errorf("%d packages on the hub's disk, want 4", n)
	}
	if rel, _, err := th.Release(update.ChannelAll); err != nil || rel.Version != "1.7.0" {
		t.Fatalf("the current release %+v, %v", rel, err)
	}
}
