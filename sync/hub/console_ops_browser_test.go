package hub

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/sync/queue"
)

// consoleKiosk is a real sync client over loopback standing in for a kiosk: it answers
// a screenshot with a PNG while idle and "in use" during a visit (as the kiosk's
// InVisit check does), and checks a pushed configuration with the kiosk's own
// kiosk/config rules over the default configuration.
type consoleKiosk struct {
	c       *client.Client
	inVisit atomic.Bool
	png     []byte
}

func startConsoleKiosk(t *testing.T, th *testHub) (*consoleKiosk, client.Credentials) {
	t.Helper()
	code, _, err := th.CreateEnrollCode(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cr, err := client.Enroll(context.Background(), "ws://"+th.addr, code)
	if err != nil {
		t.Fatal(err)
	}
	q, err := queue.Open(t.TempDir(), queue.Options{TerminalCode: cr.TerminalCode,
		KeyFile: filepath.Join(t.TempDir(), "queue.key"), CreateKey: true, MinFreeBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	k := &consoleKiosk{}
	img := image.NewRGBA(image.Rect(0, 0, 480, 270))
	for y := 0; y < 270; y++ {
		for x := 0; x < 480; x++ {
			c := color.RGBA{0x12, 0x3b, 0x63, 0xff} // the start screen's blue band
			if y > 60 {
				c = color.RGBA{0xf6, 0xf7, 0xf9, 0xff}
			}
			if y > 120 && y < 200 && x > 40 && x < 440 && (x/100)%2 == 0 {
				c = color.RGBA{0xff, 0xd5, 0x4f, 0xff} // service tiles
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	k.png = b.Bytes()
	base := config.Default()
	c, err := client.New(client.Options{
		Credentials: cr, Outbox: q, App: "test-1.0", Logger: testLogger(t),
		PingInterval: 200 * time.Millisecond, PongWait: time.Second, WriteWait: time.Second,
		RequestTimeout: 5 * time.Second, BackoffMin: 10 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
		OnCommand: func(ctx context.Context, cmd protocol.Command) (string, error) {
			switch cmd.Name {
			case protocol.CommandScreenshot:
				if k.inVisit.Load() {
					return "", errors.New(protocol.ErrTextInUse + ": a resident's visit is in progress")
				}
				return base64.StdEncoding.EncodeToString(k.png), nil
			case protocol.CommandRestart:
				return "restarting between visits", nil
			}
			return "", fmt.Errorf("%s: not supported", cmd.Name)
		},
		OnConfig: func(version string, payload json.RawMessage) error {
			r, err := config.ParseRemote(payload)
			if err != nil {
				return err
			}
			_, _, err = r.Over(base)
			return err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := c.Run(ctx); err != nil {
			t.Errorf("client Run: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	k.c = c
	return k, cr
}

// clearAndType replaces a text field's content.
func clearAndType(sel, text string) chromedp.Action[chromedp.Void] {
	clear := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { document.querySelector(%q).value = ""; return true })()`, sel))
	return chromedp.Steps(
		func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			_, err := clear(ctx, t)
			return chromedp.Void{}, err
		},
		chromedp.SendKeys(chromedp.CSS(sel), text),
	)
}

// TestConsoleOperationsInBrowser: from a terminal's page an operator takes a screenshot
// of the idle kiosk and sees it, gets "in use" while a resident's visit is in progress,
// restarts it, pushes a configuration and sees it applied, then pushes a bad one and
// sees it refused with the kiosk's reasons; each action is in the audit log.
func TestConsoleOperationsInBrowser(t *testing.T) {
	th, secrets := opHub(t, Options{})
	k, cr := startConsoleKiosk(t, th)
	ctx, dir := browser(t)
	base := "http://" + th.addr
	page := base + "/console/terminals/" + cr.TerminalID

	if err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("#signin")),
		chromedp.SendKeys(chromedp.CSS("#name"), "op-operator"),
		chromedp.SendKeys(chromedp.CSS("#secret"), secrets[RoleOperator]),
		chromedp.Click(chromedp.CSS("#signin-button")),
		chromedp.WaitVisible(chromedp.CSS("#operations")),
	); err != nil {
		t.Fatal(err)
	}
	pageUntil(t, ctx, page, "the kiosk online", `document.querySelector('#state').innerText.startsWith('online')`)
	if got := text(t, ctx, "#no-screenshot"); !strings.Contains(got, "No screenshot") {
		t.Errorf("before any screenshot: %q", got)
	}

	// Idle: the screenshot comes back and is shown on the page.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#o-screenshot")),
		chromedp.WaitVisible(chromedp.CSS("#flash")),
	); err != nil {
		t.Fatal(err)
	}
	pageUntil(t, ctx, page, "the screenshot on the page",
		`(() => { const i = document.querySelector('#shot'); return !!i && i.complete && i.naturalWidth === 480 && i.naturalHeight === 270 })()`)
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#cmds tr[data-name="screenshot"]').dataset.state`)); got != "done" {
		t.Errorf("screenshot command state %q", got)
	}
	shot(t, ctx, dir, "ops-1-screenshot")
	b, _, err := th.LastScreenshot(cr.TerminalID)
	if err != nil || !bytes.Equal(b, k.png) {
		t.Errorf("last screenshot at the hub: %d bytes, %v", len(b), err)
	}

	// During a visit: "in use", and the last screenshot stays the idle one.
	k.inVisit.Store(true)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#o-screenshot")),
		chromedp.WaitVisible(chromedp.CSS("#flash")),
	); err != nil {
		t.Fatal(err)
	}
	pageUntil(t, ctx, page, "the in-use answer", `document.querySelector('#cmds tr[data-state="in-use"]') !== null`)
	if got := text(t, ctx, `#cmds tr[data-state="in-use"]`); !strings.Contains(got, "in use") || !strings.Contains(got, "nothing was captured") {
		t.Errorf("in-use row %q", got)
	}
	shot(t, ctx, dir, "ops-2-in-use")
	k.inVisit.Store(false)

	// Restart needs the box ticked; then it is sent and answered.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#o-restart")),
		chromedp.WaitVisible(chromedp.CSS("#error")),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("#o-restart-confirm")),
		chromedp.Click(chromedp.CSS("#o-restart-confirm")),
		chromedp.Click(chromedp.CSS("#o-restart")),
		chromedp.WaitVisible(chromedp.CSS("#flash")),
	); err != nil {
		t.Fatal(err)
	}
	pageUntil(t, ctx, page, "the restart answered", `document.querySelector('#cmds tr[data-name="restart"]')?.dataset.state === "done"`)

	// A configuration pushed from the page is applied by the kiosk.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("#config-form")),
		clearAndType("#config-text", `{"hall":{"name_zh":"东城政务服务中心"},"session":{"idle_timeout":"3m"}}`),
		chromedp.Click(chromedp.CSS("#config-push")),
		chromedp.WaitVisible(chromedp.CSS("#flash")),
	); err != nil {
		t.Fatal(err)
	}
	good, _, _ := th.Published(kindConfig)
	pageUntil(t, ctx, page, "the configuration applied",
		`document.querySelector('#config-status').innerText.startsWith('applied') && document.querySelector('#config-status').innerText.includes('`+good+`')`)
	shot(t, ctx, dir, "ops-3-config-applied")

	// A bad one is refused with the kiosk's reasons; the kiosk keeps the good one.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("#config-form")),
		clearAndType("#config-text", `{"session":{"idle_timeout":"5s","warning_time":"10m"}}`),
		chromedp.Click(chromedp.CSS("#config-push")),
		chromedp.WaitVisible(chromedp.CSS("#flash")),
	); err != nil {
		t.Fatal(err)
	}
	pageUntil(t, ctx, page, "the refusal with its reasons", `document.querySelector('#config-problems') !== null`)
	status := text(t, ctx, "#config-status")
	if !strings.Contains(status, "runs "+good) || !strings.Contains(status, "refused") || !strings.Contains(status, "session.idle_timeout") {
		t.Errorf("configuration status after the bad push:\n%s", status)
	}
	shot(t, ctx, dir, "ops-4-config-refused")

	// A support bundle over the kiosk's 7 days is refused before it is sent.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("#o-since")),
		clearAndType("#o-since", "999h"),
		chromedp.Click(chromedp.CSS("#o-bundle")),
		chromedp.WaitVisible(chromedp.CSS("#error")),
	); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "#error"); !strings.Contains(got, "168h") {
		t.Errorf("bundle since 999h: %q", got)
	}

	entries, _ := th.AuditLog(0, 200)
	var actions []string
	for _, e := range entries {
		if e.Actor == "op-operator" && e.Action != "terminal.screenshot.read" {
			actions = append(actions, fmt.Sprintf("%s/%d", e.Action, e.Status))
		}
	}
	want := "console.signin/303 terminal.screenshot/303 terminal.screenshot/303 terminal.restart/400 terminal.restart/303 config.publish/303 config.publish/303 terminal.support_bundle/400"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("audited\n %s\nwant\n %s", got, want)
	}
}
