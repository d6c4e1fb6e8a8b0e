package hub

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// consoleSignIn signs a browser-like client in and returns it with the CSRF token read
// from the page at path.
func consoleSignIn(t *testing.T, th *testHub, name, secret, path string) (*http.Client, string, string) {
	t.Helper()
	c := consoleClient(t)
	resp, err := c.PostForm(th.url("/console/signin"), url.Values{"name": {name}, "secret": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	resp, err = c.Get(th.url(path))
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	return c, between(body, `name="csrf" value="`, `"`), body
}

// TestConsoleOperationsForms: the terminal page's operations need the session's CSRF
// token and the operator role; restart and safe mode need the box ticked; a bad "since"
// or a configuration that is not JSON sends nothing; a revoked terminal takes no
// command; a viewer sees the last screenshot but no buttons and may not fetch a bundle;
// every attempt is audited under the API's names.
func TestConsoleOperationsForms(t *testing.T) {
	th, secrets := opHub(t, Options{})
	tk, gone := th.enroll(t), th.enroll(t)
	rt := th.connect(t, tk)
	page := "/console/terminals/" + tk.id
	op, csrf, body := consoleSignIn(t, th, "op-operator", secrets[RoleOperator], page)
	for _, id := range []string{`id="operations"`, `id="o-screenshot"`, `id="config-form"`, `id="no-screenshot"`} {
		if !strings.Contains(body, id) {
			t.Errorf("operator's terminal page lacks %s", id)
		}
	}
	post := func(c *http.Client, path string, v url.Values) (int, string) {
		t.Helper()
		resp, err := c.PostForm(th.url(path), v)
		if err != nil {
			t.Fatal(err)
		}
		b := readAll(t, resp)
		return resp.StatusCode, b
	}
	sent := func() int { return len(th.TerminalCommands(tk.id)) }

	if code, _ := post(op, page+"/screenshot", nil); code != http.StatusForbidden || sent() != 0 {
		t.Errorf("screenshot without a CSRF token: %d, %d sent", code, sent())
	}
	if code, _ := post(op, page+"/restart", url.Values{"csrf": {csrf}}); code != http.StatusBadRequest || sent() != 0 {
		t.Errorf("restart not confirmed: %d, %d sent", code, sent())
	}
	if code, b := post(op, page+"/support-bundle", url.Values{"csrf": {csrf}, "since": {"999h"}}); code != http.StatusBadRequest || !strings.Contains(b, "168h") || sent() != 0 {
		t.Errorf("bundle since 999h: %d, %d sent", code, sent())
	}
	for _, c := range []struct {
		path, name string
		form       url.Values
	}{
		{"restart", protocol.CommandRestart, url.Values{"confirm": {"1"}}},
		{"safe-mode", protocol.CommandSafeMode, url.Values{"confirm": {"1"}}},
		{"support-bundle", protocol.CommandSupportBundle, url.Values{"since": {"48h"}}},
		{"screenshot", protocol.CommandScreenshot, url.Values{}},
	} {
		c.form.Set("csrf", csrf)
		if code, _ := post(op, page+"/"+c.path, c.form); code != http.StatusSeeOther {
			t.Fatalf("%s: %d", c.path, code)
		}
		cmd := expect[*protocol.Command](rt)
		if cmd.Name != c.name || (c.name == protocol.CommandSupportBundle && cmd.Args["since"] != "48h") {
			t.Errorf("%s sent %+v", c.path, cmd)
		}
		if c.name == protocol.CommandScreenshot {
			rt.send(&protocol.CommandResult{ID: cmd.ID, OK: true, Output: base64.StdEncoding.EncodeToString([]byte("\x89PNG stand-in"))})
		}
	}
	waitFor(t, "the screenshot", func() bool { _, _, err := th.LastScreenshot(tk.id); return err == nil })
	if code, _ := post(op, "/console/terminals/"+gone.id+"/revoke", url.Values{"csrf": {csrf}, "reason": {"stolen"}, "confirm": {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := post(op, "/console/terminals/"+gone.id+"/screenshot", url.Values{"csrf": {csrf}}); code != http.StatusConflict {
		t.Errorf("screenshot of a revoked terminal: %d", code)
	}
	if code, b := post(op, "/console/config", url.Values{"csrf": {csrf}, "config": {"{not json"}, "back": {page}}); code != http.StatusBadRequest || !strings.Contains(b, "not JSON") {
		t.Errorf("config that is not JSON: %d", code)
	}
	if v, _, ok := th.Published(kindConfig); ok {
		t.Errorf("a bad configuration was published as %s", v)
	}
	resp, _ := op.PostForm(th.url("/console/config"), url.Values{"csrf": {csrf}, "config": {`{"hall":{"name_zh":"测试大厅"}}`}, "version": {"cfg-7"}, "back": {page}})
	readAll(t, resp)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, page+"?done=") {
		t.Errorf("config: %d to %q", resp.StatusCode, loc)
	}
	if v, p, _ := th.Published(kindConfig); v != "cfg-7" || string(p) != `{"hall":{"name_zh":"测试大厅"}}` {
		t.Errorf("published %s %s", v, p)
	}
	cfg := expect[*protocol.Config](rt)
	if cfg.Version != "cfg-7" {
		t.Errorf("pushed %+v", cfg)
	}
	hb := heartbeat()
	hb.Config, hb.ConfigRefused = "cfg-6", &protocol.ConfigRefusal{Version: "cfg-7", Problems: []string{"hall.name_zh: <b>too long</b>"}}
	rt.send(hb)
	waitFor(t, "the refusal at the hub", func() bool { ti, _ := th.consoleTerminal(tk.id); return ti.ConfigRefused != nil })
	resp, _ = op.Get(th.url(page))
	body = readAll(t, resp)
	if !strings.Contains(body, `id="config-refused"`) || !strings.Contains(body, "<li>hall.name_zh: &lt;b&gt;too long&lt;/b&gt;</li>") ||
		!strings.Contains(body, `id="shot"`) || strings.Count(body, `data-state="waiting"`) != 3 || !strings.Contains(body, `data-state="done"`) {
		t.Errorf("terminal page after the operations:\n%s", between(body, `id="config-status"`, `<h2>Alerts`))
	}

	// A viewer sees the screenshot and the status, and nothing to press.
	v, vcsrf, vbody := consoleSignIn(t, th, "op-viewer", secrets[RoleViewer], page)
	if strings.Contains(vbody, `id="operations"`) || strings.Contains(vbody, `id="config-form"`) || !strings.Contains(vbody, `id="shot"`) {
		t.Errorf("viewer's page shows the operations or hides the screenshot")
	}
	resp, _ = v.Get(th.url(page + "/screenshot.png"))
	if b := readAll(t, resp); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal([]byte(b), []byte("\x89PNG stand-in")) {
		t.Errorf("viewer's screenshot: %d %q", resp.StatusCode, b)
	}
	bundle := ""
	for _, c := range th.TerminalCommands(tk.id) {
		if c.Name == protocol.CommandSupportBundle {
			bundle = c.ID
		}
	}
	resp, _ = v.Get(th.url("/console/commands/" + bundle + "/file"))
	if readAll(t, resp); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer fetching a command's file: %d", resp.StatusCode)
	}
	if code, _ := post(v, page+"/screenshot", url.Values{"csrf": {vcsrf}}); code != http.StatusForbidden {
		t.Errorf("viewer's screenshot command: %d", code)
	}

	entries, _ := th.AuditLog(0, 100)
	var got []string
	for _, e := range entries {
		if e.Action != "console.signin" && e.Action != "terminal.revoke" {
			got = append(got, fmt.Sprintf("%s %s %d", e.Actor, e.Action, e.Status))
		}
	}
	want := []string{"op-operator terminal.restart 400", "op-operator terminal.support_bundle 400",
		"op-operator terminal.restart 303", "op-operator terminal.safe_mode 303", "op-operator terminal.support_bundle 303",
		"op-operator terminal.screenshot 303", "op-operator terminal.screenshot 409", "op-operator config.publish 400",
		"op-operator config.publish 303", "op-viewer terminal.screenshot.read 200", "op-viewer command.file 403", "op-viewer terminal.screenshot 403"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("audit\n got %q\nwant %q", got, want)
	}
}
