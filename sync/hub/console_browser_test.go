package hub

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// The operations console in a real headless Chromium (Debian's chromium package,
// scripts/install-deps), driven over the DevTools protocol. Screenshots go to
// CONSOLE_SCREENSHOTS when set (to look at), else to the test's temporary directory.

func browser(t *testing.T) (context.Context, string) {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("chromium not found: install it with scripts/install-deps test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in a container; the pages are the hub's own
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("lang", "zh-CN"),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	dir := os.Getenv("CONSOLE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return ctx, dir
}

func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// text returns the text of the first element sel matches.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// pageUntil reloads url until the JavaScript expression is true.
func pageUntil(t *testing.T, ctx context.Context, url, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
			t.Fatalf("timed out waiting for %s; page:\n%s", what, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestConsoleInBrowser: an operator signs in, sees a terminal go offline and come
// back, acknowledges a paper-out alert, and opens and closes the case of a one-star
// rating, and revokes a stolen terminal, each through the pages a person uses.
func TestConsoleInBrowser(t *testing.T) {
	th, secrets := opHub(t, Options{})
	if _, err := th.SetCatalog("", []byte(`{"items":[{"id":"hukou.move","title":{"zh":"户口迁移"}}]}`)); err != nil {
		t.Fatal(err)
	}
	tk, other := th.enroll(t), th.enroll(t)
	th.SetPlacement(tk.id, "东城政务服务中心", "东城街道", "setup")
	th.SetPlacement(other.id, "南湖便民服务站", "南湖镇", "setup")
	rt := th.connect(t, tk)
	rt.send(heartbeat(printer(protocol.DeviceOnline, "")))
	ctx, dir := browser(t)
	base := "http://" + th.addr
	row := fmt.Sprintf(`document.querySelector('#t-%s')`, tk.code)

	// Sign in: the console sends an anonymous visitor to the sign-in page.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/console/"),
		chromedp.WaitVisible(chromedp.CSS("#signin")),
		chromedp.SendKeys(chromedp.CSS("#name"), "op-operator"),
		chromedp.SendKeys(chromedp.CSS("#secret"), secrets[RoleOperator]),
	); err != nil {
		t.Fatal(err)
	}
	shot(t, ctx, dir, "1-signin")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#signin-button")),
		chromedp.WaitVisible(chromedp.CSS("#summary")),
	); err != nil {
		t.Fatal(err)
	}
	who := text(t, ctx, ".who")
	if !strings.Contains(who, "op-operator") {
		t.Errorf("signed in as %q", who)
	}

	// Online, then offline when its connection drops, then online again.
	pageUntil(t, ctx, base+"/console/", "the terminal online", row+`?.dataset.state === "online"`)
	shot(t, ctx, dir, "2-terminals-online")
	rt.ws.Close()
	pageUntil(t, ctx, base+"/console/", "the terminal offline", row+`?.dataset.state === "offline"`)
	shot(t, ctx, dir, "3-terminals-offline")
	rt = th.connect(t, tk)
	rt.send(heartbeat(printer(protocol.DeviceOnline, "")))
	pageUntil(t, ctx, base+"/console/", "the terminal back online", row+`?.dataset.state === "online"`)
	// The filters keep one site.
	pageUntil(t, ctx, base+"/console/?site="+"%E5%8D%97%E6%B9%96%E4%BE%BF%E6%B0%91%E6%9C%8D%E5%8A%A1%E7%AB%99", "the site filter",
		row+` === null && document.querySelector('#t-`+other.code+`') !== null`)

	// A printer out of paper: a "clear" alert, acknowledged by the operator.
	rt.send(heartbeat(printer(protocol.DeviceUserError, "paper out")))
	pageUntil(t, ctx, base+"/console/alerts", "the paper-out alert", `document.querySelectorAll('.ackbtn').length === 1`)
	shot(t, ctx, dir, "4-alert")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(".ackbtn")),
		chromedp.WaitVisible(chromedp.CSS("#flash")),
	); err != nil {
		t.Fatal(err)
	}
	acked := text(t, ctx, "td.ack")
	if !strings.Contains(acked, "op-operator") {
		t.Errorf("acknowledged by %q", acked)
	}
	shot(t, ctx, dir, "5-alert-acknowledged")
	as, _ := th.Alerts(AlertQuery{})
	if len(as) != 1 || as[0].AckedBy != "op-operator" || as[0].Action != ActionClear {
		t.Errorf("alert at the hub %+v", as)
	}
	pageUntil(t, ctx, base+"/console/terminals/"+tk.id, "the terminal page with its events",
		`document.querySelector('#events').innerText.includes('paper out')`)
	shot(t, ctx, dir, "6-terminal")

	// A one-star rating opens a case; it is assigned, answered and closed.
	sendRating(t, rt, "rate-1", "hukou.move", 1, time.Now().UTC().Add(-time.Minute), "排队太久")
	sendRating(t, rt, "rate-2", "hukou.move", 5, time.Now().UTC().Add(-25*time.Hour), "")
	pageUntil(t, ctx, base+"/console/cases", "the case", `document.querySelector('#c-rate-1 .cstate')?.innerText === "open"`)
	shot(t, ctx, dir, "7-cases")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#c-rate-1 a")),
		chromedp.WaitVisible(chromedp.CSS("#case-form")),
		chromedp.SendKeys(chromedp.CSS("#c-assignee"), "li.na"),
		chromedp.SendKeys(chromedp.CSS("#c-answer"), "已在高峰时段增开窗口"),
		chromedp.Click(chromedp.CSS("#c-close")),
		chromedp.Click(chromedp.CSS("#c-save")),
		chromedp.WaitVisible(chromedp.CSS("#flash")),
	); err != nil {
		t.Fatal(err)
	}
	state, answer := text(t, ctx, "#cstate"), text(t, ctx, "#answer")
	if strings.TrimSpace(state) != CaseClosed || !strings.Contains(answer, "增开窗口") {
		t.Errorf("case after saving: state %q, answer %q", state, answer)
	}
	shot(t, ctx, dir, "8-case-closed")
	c, err := th.Case("rate-1", false)
	if err != nil || c.State != CaseClosed || c.Assignee != "li.na" || c.ClosedBy != "op-operator" {
		t.Errorf("case at the hub %+v, %v", c, err)
	} else if got, want := c.Deadline.In(time.Local).Format(time.DateOnly), addWorkingDays(c.Opened, CaseDeadlineWorkingDays).In(time.Local).Format(time.DateOnly); got != want {
		t.Errorf("saving the form moved the deadline to %s from %s", got, want)
	}
	pageUntil(t, ctx, base+"/console/ratings", "the ratings chart", `document.querySelectorAll('#chart rect').length === 2`)
	shot(t, ctx, dir, "9-ratings")

	// The other terminal was stolen: revoked from its page.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/console/terminals/"+other.id),
		chromedp.WaitVisible(chromedp.CSS("#revoke")),
		chromedp.SendKeys(chromedp.CSS("#r-reason"), "stolen"),
		chromedp.Click(chromedp.CSS("#r-confirm")),
		chromedp.Click(chromedp.CSS("#r-revoke")),
		chromedp.WaitVisible(chromedp.CSS("#revoked")),
	); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "#revoked"); !strings.Contains(got, "op-operator: stolen") {
		t.Errorf("revoked line %q", got)
	}
	shot(t, ctx, dir, "10-revoked")

	// Every action above is in the audit log under the operator's name.
	entries, _ := th.AuditLog(0, 100)
	var actions []string
	for _, e := range entries {
		if e.Actor == "op-operator" {
			actions = append(actions, e.Action)
		}
	}
	if got := strings.Join(actions, " "); !strings.Contains(got, "console.signin alert.ack case.read case.update case.read terminal.revoke") {
		t.Errorf("audited %q", got)
	}
}
