package hub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

func TestAlertAction(t *testing.T) {
	for _, c := range []struct {
		state  protocol.DeviceState
		reason string
		detail string
		want   string
	}{
		{protocol.DeviceOnline, "", "", ""},
		{protocol.DeviceBusy, "", "", ""},
		{protocol.DeviceUnknown, "", "", ""},
		{protocol.DeviceUserError, "paper out", "", ActionClear},
		{protocol.DeviceUserError, "paper jam in the document feeder", "", ActionClear},
		{protocol.DeviceUserError, "scanner cover open", "", ActionClear},
		{protocol.DeviceHardwareError, "cutter error", "", ActionMaintenance},
		{protocol.DeviceOffline, "no answer from the scanner", "", ActionMaintenance},
		{protocol.DeviceOffline, "no port configured", "", ActionConfiguration},
		{protocol.DeviceHardwareError, "recoverable error", "", ActionReset},
		{protocol.DeviceHardwareError, "driver crashed", "", ActionSoftwareError},
		{protocol.DeviceHardwareError, "mechanical error; recovery by DLE ENQ failed", ActionMaintenance, ActionMaintenance},
		{protocol.DeviceHardwareError, "whatever", ActionReset, ActionReset},
		{protocol.DeviceHardwareError, "whatever", "reboot-the-world", ActionMaintenance},
	} {
		d := protocol.DeviceStatus{Device: "p", State: c.state, Reason: c.reason}
		if c.detail != "" {
			d.Details = map[string]string{"action": c.detail}
		}
		if got := alertAction(d); got != c.want {
			t.Errorf("%s %q (action %q): %q, want %q", c.state, c.reason, c.detail, got, c.want)
		}
	}
}

func heartbeat(devs ...protocol.DeviceStatus) *protocol.Heartbeat {
	return &protocol.Heartbeat{At: time.Now().UTC(), App: "test-1.0", Devices: devs}
}

func printer(state protocol.DeviceState, reason string) protocol.DeviceStatus {
	return protocol.DeviceStatus{Device: "printer", Kind: "printer", State: state, Reason: reason, Since: time.Now().UTC()}
}

func apiGet[T any](t *testing.T, th *testHub, path, authz string) T {
	t.Helper()
	rec := call(th.Hub, "GET", path, authz, "127.0.0.1:5000", false, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestAlertsRaisedClearedAndAcknowledged: a paper-out printer raises a "clear" alert,
// a person acknowledges it (audited, a viewer may not), the printer recovering clears it,
// and a dead card reader raises "maintenance". The health events keep each change.
func TestAlertsRaisedClearedAndAcknowledged(t *testing.T) {
	th, secrets := opHub(t, Options{})
	tk := th.enroll(t)
	rt := th.connect(t, tk)
	rt.send(heartbeat(printer(protocol.DeviceOnline, "")))
	rt.send(heartbeat(printer(protocol.DeviceUserError, "paper out")))
	op, viewer := basic("op-operator", secrets[RoleOperator]), basic("op-viewer", secrets[RoleViewer])
	type list struct {
		Alerts []AlertInfo `json:"alerts"`
	}
	var as []AlertInfo
	waitFor(t, "an alert", func() bool {
		as = apiGet[list](t, th, "/api/alerts", viewer).Alerts
		return len(as) == 1
	})
	a := as[0]
	if a.Action != ActionClear || !a.Active || a.Reason != "paper out" || a.TerminalCode != tk.code || a.AckedBy != "" {
		t.Fatalf("alert %+v", a)
	}
	if rec := call(th.Hub, "POST", "/api/alerts/"+a.ID+"/ack", viewer, "127.0.0.1:5000", false, ""); rec.Code != http.StatusForbidden {
		t.Errorf("a viewer acknowledged: %d", rec.Code)
	}
	rec := call(th.Hub, "POST", "/api/alerts/"+a.ID+"/ack", op, "127.0.0.1:5000", false, "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"acked_by": "op-operator"`) {
		t.Fatalf("ack: %d %s", rec.Code, rec.Body)
	}
	if rec := call(th.Hub, "POST", "/api/alerts/nope/ack", op, "127.0.0.1:5000", false, ""); rec.Code != http.StatusNotFound {
		t.Errorf("ack of an unknown alert: %d", rec.Code)
	}
	entries, err := th.AuditLog(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var acks []string
	for _, e := range entries {
		if e.Action == "alert.ack" {
			acks = append(acks, fmt.Sprintf("%s %s %d", e.Actor, e.Target, e.Status))
		}
	}
	if want := []string{"op-viewer " + a.ID + " 403", "op-operator " + a.ID + " 200", "op-operator nope 404"}; strings.Join(acks, ",") != strings.Join(want, ",") {
		t.Errorf("audited acks %q, want %q", acks, want)
	}
	// Still active though acknowledged: it stays in the open list until the paper is in.
	if open := apiGet[list](t, th, "/api/alerts?open=1", viewer).Alerts; len(open) != 1 || open[0].AckedBy != "op-operator" {
		t.Errorf("open alerts after the ack: %+v", open)
	}
	rt.send(heartbeat(printer(protocol.DeviceOnline, ""), protocol.DeviceStatus{Device: "idcard", Kind: "idcard",
		State: protocol.DeviceOffline, Reason: "no answer", Since: time.Now().UTC()}))
	waitFor(t, "paper alert cleared, card reader alert raised", func() bool {
		as = apiGet[list](t, th, "/api/alerts", viewer).Alerts
		return len(as) == 2 && !as[1].Active
	})
	if as[0].Device != "idcard" || as[0].Action != ActionMaintenance || !as[0].Active {
		t.Errorf("card reader alert %+v", as[0])
	}
	// Acknowledged and cleared: no longer open.
	if open := apiGet[list](t, th, "/api/alerts?open=1", viewer).Alerts; len(open) != 1 || open[0].Device != "idcard" {
		t.Errorf("open alerts: %+v", open)
	}
	// A restarted hub still knows the card reader's alert is active: the same report
	// raises nothing new.
	th.flushHealthEvents()
	evs, _ := th.st.healthEvents(tk.id, 10)
	var got []string
	for _, e := range evs {
		got = append(got, e.Device+":"+e.State)
	}
	if want := "idcard:offline printer:online printer:user_error printer:online terminal:online"; strings.Join(got, " ") != want {
		t.Errorf("health events %q, want %q", strings.Join(got, " "), want)
	}
}

// TestAlertsSurviveRestart: the active alerts are loaded at start, so the same fault
// reported after a restart is not raised twice.
func TestAlertsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	th := startHub(t, Options{Dir: dir})
	tk := th.enroll(t)
	rt := th.connect(t, tk)
	rt.send(heartbeat(printer(protocol.DeviceHardwareError, "cutter error")))
	waitFor(t, "alert", func() bool { as, _ := th.Alerts(AlertQuery{}); return len(as) == 1 })
	rt.ws.Close()
	th.Close()
	th2 := startHub(t, Options{Dir: dir})
	rt2 := th2.connect(t, tk)
	rt2.send(heartbeat(printer(protocol.DeviceHardwareError, "cutter error")))
	rt2.send(heartbeat(printer(protocol.DeviceOnline, "")))
	waitFor(t, "alert cleared", func() bool { as, _ := th2.Alerts(AlertQuery{}); return len(as) == 1 && !as[0].Active })
}

func sendRating(t *testing.T, rt *rawTerm, id, item string, stars int, created time.Time, comment string) {
	t.Helper()
	rt.send(&protocol.Rating{ID: id, Item: item, Stars: stars, CreatedAt: created, Comment: comment, Reasons: []string{"等候时间长"}})
	if ack := expect[*protocol.Ack](rt); ack.ID != id {
		t.Fatalf("ack for %s, want %s", ack.ID, id)
	}
}

func TestRatingsSummary(t *testing.T) {
	th, secrets := opHub(t, Options{})
	viewer := basic("op-viewer", secrets[RoleViewer])
	a, b := th.enroll(t), th.enroll(t)
	if err := th.SetPlacement(a.id, "东城大厅", "东城街道", "test"); err != nil {
		t.Fatal(err)
	}
	ra, rb := th.connect(t, a), th.connect(t, b)
	day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, time.UTC) }
	sendRating(t, ra, "r1", "hukou.move", 5, day(2), "")
	sendRating(t, ra, "r2", "hukou.move", 4, day(3), "")
	sendRating(t, ra, "r3", "social.card", 1, day(3), "")
	sendRating(t, rb, "r4", "hukou.move", 2, day(10), "")
	sendRating(t, rb, "r5", "hukou.move", 5, day(20), "") // outside the window below
	sendRating(t, ra, "r2", "hukou.move", 4, day(3), "")  // a repeat counts once

	rep := apiGet[RatingReport](t, th, "/api/ratings/summary?by=item&from=2026-11-01T00:00:00Z&to=2026-11-15T00:00:00Z", viewer)
	if rep.Total.Count != 4 || rep.Total.Average != 3 || rep.Total.Distribution != [5]int{1, 1, 0, 1, 1} {
		t.Errorf("total %+v", rep.Total)
	}
	if len(rep.Groups) != 2 || rep.Groups[0].Key != "hukou.move" || rep.Groups[0].Count != 3 || rep.Groups[0].Average != 3.67 ||
		rep.Groups[0].Distribution != [5]int{0, 1, 0, 1, 1} || rep.Groups[1].Key != "social.card" || rep.Groups[1].Average != 1 {
		t.Errorf("by item %+v", rep.Groups)
	}
	if len(rep.Days) != 3 {
		t.Errorf("days %+v", rep.Days)
	}
	rep = apiGet[RatingReport](t, th, "/api/ratings/summary?by=site&from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z", viewer)
	if len(rep.Groups) != 2 || rep.Groups[0].Key != "东城大厅" || rep.Groups[0].Count != 3 || rep.Groups[1].Key != "" || rep.Groups[1].Count != 2 {
		t.Errorf("by site %+v", rep.Groups)
	}
	rep = apiGet[RatingReport](t, th, "/api/ratings/summary?by=terminal&from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z", viewer)
	if len(rep.Groups) != 2 || rep.Groups[0].Key != a.id || !strings.HasPrefix(rep.Groups[0].Label, a.code) {
		t.Errorf("by terminal %+v", rep.Groups)
	}
	for _, q := range []string{"by=resident", "from=yesterday", "from=2026-11-10&to=2026-11-01"} {
		if rec := call(th.Hub, "GET", "/api/ratings/summary?"+q, viewer, "127.0.0.1:5000", false, ""); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d", q, rec.Code)
		}
	}
	if rec := call(th.Hub, "GET", "/api/ratings/summary", "", "127.0.0.1:5000", false, ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("anonymous summary: %d", rec.Code)
	}
}

func TestAddWorkingDays(t *testing.T) {
	thu := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		n    int
		want string
	}{{0, "2026-12-03"}, {1, "2026-12-04"}, {2, "2026-12-07"}, {5, "2026-12-10"}, {15, "2026-12-24"}} {
		if got := addWorkingDays(thu, c.n).Format(time.DateOnly); got != c.want {
			t.Errorf("%d working days after Thursday 3 Dec: %s, want %s", c.n, got, c.want)
		}
	}
}

// TestPoorRatingsOpenCases: every 1–2 star rating opens one case, due in 15 working
// days; it is assigned, answered and closed (not closed unanswered), overdue ones are
// flagged, and the resident's comment is shown only to roles that read personal data.
func TestPoorRatingsOpenCases(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC).UnixNano())
	th, secrets := opHub(t, Options{Now: func() time.Time { return time.Unix(0, now.Load()) }})
	op, viewer := basic("op-operator", secrets[RoleOperator]), basic("op-viewer", secrets[RoleViewer])
	tk := th.enroll(t)
	rt := th.connect(t, tk)
	at := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	sendRating(t, rt, "bad-1", "hukou.move", 1, at, "窗口无人")
	sendRating(t, rt, "bad-2", "hukou.move", 2, at, "")
	sendRating(t, rt, "ok-3", "hukou.move", 3, at, "")
	sendRating(t, rt, "good-5", "hukou.move", 5, at, "")
	sendRating(t, rt, "bad-1", "hukou.move", 1, at, "窗口无人") // delivered again: still one case
	type list struct {
		Cases []CaseInfo `json:"cases"`
	}
	cs := apiGet[list](t, th, "/api/cases", viewer).Cases
	if len(cs) != 2 {
		t.Fatalf("%d cases, want 2: %+v", len(cs), cs)
	}
	for _, c := range cs {
		if c.State != CaseOpen || c.Overdue || c.Deadline.Format(time.DateOnly) != "2026-12-24" || c.Comment != "" {
			t.Errorf("new case %+v", c)
		}
	}
	post := func(authz, id, body string) (int, CaseInfo) {
		rec := call(th.Hub, "POST", "/api/cases/"+id, authz, "127.0.0.1:5000", false, body)
		var ci CaseInfo
		json.Unmarshal(rec.Body.Bytes(), &ci)
		return rec.Code, ci
	}
	if code, _ := post(viewer, "bad-1", `{"assignee":"li.na"}`); code != http.StatusForbidden {
		t.Errorf("a viewer assigned a case: %d", code)
	}
	if code, _ := post(op, "bad-1", `{"close":true}`); code != http.StatusConflict {
		t.Errorf("closed unanswered: %d", code)
	}
	if code, ci := post(op, "bad-1", `{"assignee":"li.na","deadline":"2026-12-10"}`); code != http.StatusOK || ci.State != CaseAssigned || ci.Assignee != "li.na" ||
		ci.Deadline.In(time.Local).Format(time.DateOnly) != "2026-12-10" {
		t.Errorf("assign: %d %+v", code, ci)
	}
	now.Store(time.Date(2026, 12, 11, 9, 0, 0, 0, time.UTC).UnixNano())
	over := apiGet[list](t, th, "/api/cases?overdue=1", viewer).Cases
	if len(over) != 1 || over[0].ID != "bad-1" {
		t.Errorf("overdue %+v", over)
	}
	if code, ci := post(op, "bad-1", `{"answer":"已增派窗口人员","close":true}`); code != http.StatusOK || ci.State != CaseClosed || ci.Overdue || ci.ClosedBy != "op-operator" {
		t.Errorf("answer and close: %d %+v", code, ci)
	}
	if code, _ := post(op, "bad-1", `{"assignee":"wang"}`); code != http.StatusConflict {
		t.Errorf("changed a closed case: %d", code)
	}
	if code, _ := post(op, "nope", `{"assignee":"wang"}`); code != http.StatusNotFound {
		t.Errorf("unknown case: %d", code)
	}
	c, err := th.Case("bad-1", true)
	if err != nil || c.Comment != "窗口无人" || c.Answer != "已增派窗口人员" {
		t.Errorf("case with personal data %+v, %v", c, err)
	}
	// The answer and the comment are sealed at rest.
	raw, _ := th.st.getCase("bad-1")
	if b, _ := json.Marshal(raw); strings.Contains(string(b), "窗口") || strings.Contains(string(b), "增派") {
		t.Errorf("case stored in the clear: %s", b)
	}
}

// TestPublishRatings: items averaging four stars or more over enough ratings are marked
// in the catalog pushed to the terminals; the others carry no mark, and a mark from an
// earlier publication is taken off.
func TestPublishRatings(t *testing.T) {
	th, secrets := opHub(t, Options{})
	op := basic("op-operator", secrets[RoleOperator])
	if _, err := th.SetCatalog("cat-1", []byte(`{"version":"1","items":[{"id":"a","title":{"zh":"甲"}},{"id":"b","title":{"zh":"乙"},"rating":{"average":5,"count":9,"since":"2020-01-01"}},{"id":"c"}]}`)); err != nil {
		t.Fatal(err)
	}
	tk := th.enroll(t)
	rt := th.connect(t, tk)
	at := time.Now().UTC().Add(-time.Hour)
	for i := range PublishMinRatings {
		sendRating(t, rt, fmt.Sprintf("a%d", i), "a", 4+i%2, at, "")
		sendRating(t, rt, fmt.Sprintf("b%d", i), "b", 3, at, "")
	}
	for i := range PublishMinRatings - 1 {
		sendRating(t, rt, fmt.Sprintf("c%d", i), "c", 5, at, "")
	}
	rec := call(th.Hub, "POST", "/api/ratings/publish", op, "127.0.0.1:5000", false, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("publish: %d %s", rec.Code, rec.Body)
	}
	var res struct {
		Version   string                     `json:"catalog_version"`
		Published map[string]PublishedRating `json:"published"`
	}
	json.Unmarshal(rec.Body.Bytes(), &res)
	if len(res.Published) != 1 || res.Published["a"].Average != 4.4 || res.Published["a"].Count != 5 {
		t.Errorf("published %+v", res.Published)
	}
	cat := expect[*protocol.Catalog](rt)
	if cat.Version != res.Version {
		t.Errorf("pushed %s, published %s", cat.Version, res.Version)
	}
	var got struct {
		Version string `json:"version"`
		Items   []struct {
			ID     string           `json:"id"`
			Rating *PublishedRating `json:"rating"`
		} `json:"items"`
	}
	if err := json.Unmarshal(cat.Payload, &got); err != nil {
		t.Fatal(err)
	}
	if got.Version != "1" || len(got.Items) != 3 || got.Items[0].Rating == nil || got.Items[0].Rating.Average != 4.4 ||
		got.Items[1].Rating != nil || got.Items[2].Rating != nil {
		t.Errorf("catalog pushed %s", cat.Payload)
	}
}

// consoleClient is a browser-like client: a cookie jar, no redirects followed.
func consoleClient(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// TestConsoleSignInAndForms: pages need a session; a wrong secret is refused and
// audited; a form without the session's CSRF token does nothing; a viewer may look but
// not act; sign-out ends the session.
func TestConsoleSignInAndForms(t *testing.T) {
	th, secrets := opHub(t, Options{})
	tk := th.enroll(t)
	c := consoleClient(t)
	resp, err := c.Get(th.url("/console/"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/signin") {
		t.Fatalf("anonymous console: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = c.PostForm(th.url("/console/signin"), url.Values{"name": {"op-operator"}, "secret": {"wrong"}})
	if body := readAll(t, resp); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong account name or secret") {
		t.Errorf("wrong secret: %d %s", resp.StatusCode, body)
	}
	resp, _ = c.PostForm(th.url("/console/signin"), url.Values{"name": {"op-operator"}, "secret": {secrets[RoleOperator]}, "next": {"/console/alerts"}})
	readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/alerts" {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	ck := resp.Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie %+v", ck)
	}
	resp, _ = c.Get(th.url("/console/"))
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, tk.code) || !strings.Contains(body, "op-operator") {
		t.Fatalf("terminals page: %d %s", resp.StatusCode, body)
	}
	csrf := between(body, `name="csrf" value="`, `"`)
	// No token: refused, nothing saved.
	resp, _ = c.PostForm(th.url("/console/terminals/"+tk.id+"/placement"), url.Values{"site": {"东城大厅"}})
	readAll(t, resp)
	if resp.StatusCode != http.StatusForbidden || th.placementsCopy()[tk.id].Site != "" {
		t.Errorf("placement without a CSRF token: %d", resp.StatusCode)
	}
	resp, _ = c.PostForm(th.url("/console/terminals/"+tk.id+"/placement"), url.Values{"site": {"东城大厅"}, "township": {"东城街道"}, "csrf": {csrf}})
	readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther || th.placementsCopy()[tk.id].Site != "东城大厅" {
		t.Errorf("placement: %d", resp.StatusCode)
	}
	resp, _ = c.Get(th.url("/console/?site=" + url.QueryEscape("东城大厅") + "&state=offline"))
	if body := readAll(t, resp); !strings.Contains(body, `id="t-`+tk.code+`"`) {
		t.Errorf("filtered list lacks the terminal")
	}
	resp, _ = c.Get(th.url("/console/?state=online"))
	if body := readAll(t, resp); strings.Contains(body, `id="t-`+tk.code+`"`) {
		t.Errorf("an offline terminal is listed as online")
	}
	resp, _ = c.PostForm(th.url("/console/signout"), url.Values{"csrf": {csrf}})
	readAll(t, resp)
	resp, _ = c.Get(th.url("/console/"))
	readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out: %d", resp.StatusCode)
	}

	// A viewer sees, but may not save.
	v := consoleClient(t)
	resp, _ = v.PostForm(th.url("/console/signin"), url.Values{"name": {"op-viewer"}, "secret": {secrets[RoleViewer]}})
	readAll(t, resp)
	resp, _ = v.Get(th.url("/console/terminals/" + tk.id))
	body = readAll(t, resp)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, `id="placement"`) {
		t.Errorf("viewer's terminal page: %d", resp.StatusCode)
	}
	resp, _ = v.PostForm(th.url("/console/terminals/"+tk.id+"/placement"), url.Values{"site": {"x"}, "csrf": {between(body, `name="csrf" value="`, `"`)}})
	readAll(t, resp)
	if resp.StatusCode != http.StatusForbidden || th.placementsCopy()[tk.id].Site != "东城大厅" {
		t.Errorf("viewer saved a placement: %d", resp.StatusCode)
	}
	entries, _ := th.AuditLog(0, 100)
	var got []string
	for _, e := range entries {
		got = append(got, fmt.Sprintf("%s %s %d", e.Actor, e.Action, e.Status))
	}
	want := []string{"op-operator console.signin 401", "op-operator console.signin 303", "op-operator terminal.placement 303",
		"op-operator console.signout 303", "op-viewer console.signin 303", "op-viewer terminal.placement 403"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("audit\n got %q\nwant %q", got, want)
	}
}

// TestConsoleNeedsTLSFromOtherMachines mirrors the operator API's rule.
func TestConsoleNeedsTLSFromOtherMachines(t *testing.T) {
	th, _ := opHub(t, Options{})
	for _, p := range []string{"/console/signin", "/console/"} {
		if rec := call(th.Hub, "GET", p, "", "192.0.2.7:4000", false, ""); rec.Code != http.StatusForbidden {
			t.Errorf("%s from another machine without TLS: %d", p, rec.Code)
		}
		if rec := call(th.Hub, "GET", p, "", "192.0.2.7:4000", true, ""); rec.Code == http.StatusForbidden {
			t.Errorf("%s from another machine over TLS: %d", p, rec.Code)
		}
	}
}

func between(s, a, b string) string {
	_, rest, ok := strings.Cut(s, a)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, b)
	return v
}

// TestConsolePagesRender visits every page with something on it; a template that fails
// answers 500.
func TestConsolePagesRender(t *testing.T) {
	th, secrets := opHub(t, Options{})
	if _, err := th.SetCatalog("", []byte(`{"items":[{"id":"hukou.move","title":{"zh":"户口迁移"}}]}`)); err != nil {
		t.Fatal(err)
	}
	tk := th.enroll(t)
	th.SetPlacement(tk.id, "东城大厅", "东城街道", "test")
	rt := th.connect(t, tk)
	rt.send(heartbeat(printer(protocol.DeviceUserError, "paper out")))
	sendRating(t, rt, "bad-1", "hukou.move", 1, time.Now().UTC().Add(-time.Hour), "太慢")
	sendRating(t, rt, "good-1", "hukou.move", 5, time.Now().UTC().Add(-49*time.Hour), "")
	waitFor(t, "alert", func() bool { as, _ := th.Alerts(AlertQuery{}); return len(as) == 1 })
	c := consoleClient(t)
	resp, _ := c.PostForm(th.url("/console/signin"), url.Values{"name": {"op-admin"}, "secret": {secrets[RoleAdmin]}})
	readAll(t, resp)
	for _, p := range []struct{ path, want string }{
		{"/console/", "paper out"},
		{"/console/?state=fault", `data-state="fault"`},
		{"/console/terminals/" + tk.id, "user_error"},
		{"/console/alerts", "ackbtn"},
		{"/console/alerts?all=1&action=clear", "paper out"},
		{"/console/ratings", "<svg"},
		{"/console/ratings?by=site", "东城大厅"},
		{"/console/ratings?by=terminal&from=2020-01-01", tk.code},
		{"/console/cases", `id="c-bad-1"`},
		{"/console/cases/bad-1", "太慢"},
	} {
		resp, err := c.Get(th.url(p.path))
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, p.want) {
			t.Errorf("%s: %d, want %q in the page", p.path, resp.StatusCode, p.want)
		}
	}
	for _, p := range []string{"/console/terminals/nope", "/console/cases/nope"} {
		resp, _ := c.Get(th.url(p))
		readAll(t, resp)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}

// TestPublishedCatalogParsesOnTheKiosk: the shipped catalog with the 好差评 marks added
// is still a catalog the kiosk accepts, and carries the mark.
func TestPublishedCatalogParsesOnTheKiosk(t *testing.T) {
	th := startHub(t, Options{})
	def := assets.DefaultCatalog()
	if _, err := th.SetCatalog("", def); err != nil {
		t.Fatal(err)
	}
	kc, err := catalog.Parse(def)
	if err != nil {
		t.Fatal(err)
	}
	item := kc.Items[0].ID
	tk := th.enroll(t)
	rt := th.connect(t, tk)
	for i := range PublishMinRatings {
		sendRating(t, rt, fmt.Sprintf("r%d", i), item, 5, time.Now().UTC().Add(-time.Minute), "")
	}
	marks, _, err := th.PublishRatings(time.Now().Add(-24*time.Hour), time.Now().Add(time.Hour))
	if err != nil || len(marks) != 1 {
		t.Fatalf("publish: %v, %v", marks, err)
	}
	_, payload, _ := th.Published(kindCatalog)
	got, err := catalog.Parse(payload)
	if err != nil {
		t.Fatalf("the kiosk refuses the published catalog: %v", err)
	}
	if r := got.Items[0].Rating; r == nil || r.Average != 5 || r.Count != PublishMinRatings {
		t.Errorf("mark on %s: %+v", item, r)
	}
	if got.Version != kc.Version || len(got.Items) != len(kc.Items) {
		t.Errorf("the catalog changed beyond its marks")
	}
}

// TestMonitoringUsesExistingMetrics: every govkiosk_hub_ metric the shipped Prometheus
// rules and Grafana dashboard use is one the hub exports, every action they select is an
// alert action, and every rule says who it is for.
func TestMonitoringUsesExistingMetrics(t *testing.T) {
	th, secrets := opHub(t, Options{})
	tk := th.enroll(t)
	rt := th.connect(t, tk)
	rt.send(heartbeat(printer(protocol.DeviceUserError, "paper out")))
	sendRating(t, rt, "bad", "x", 1, time.Now().UTC(), "")
	waitFor(t, "alert", func() bool { as, _ := th.Alerts(AlertQuery{}); return len(as) == 1 })
	rec := call(th.Hub, "GET", "/metrics", "", "127.0.0.1:5000", false, "")
	exported := map[string]bool{}
	for line := range strings.Lines(rec.Body.String()) {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			exported[strings.Fields(name)[0]] = true
		}
	}
	for _, want := range []string{`govkiosk_hub_terminal_up{site="",terminal="` + tk.code + `"} 1`,
		`govkiosk_hub_alerts_active{action="clear"} 1`, `govkiosk_hub_alerts_unacknowledged{action="clear"} 1`,
		`govkiosk_hub_rating_cases_open 1`, `govkiosk_hub_rating_cases_overdue 0`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	_ = secrets
	names := regexp.MustCompile(`govkiosk_hub_[a-z_]+`)
	actions := regexp.MustCompile(`action=~?"([^"]+)"`)
	checkExpr := func(where, expr string) {
		for _, n := range names.FindAllString(expr, -1) {
			if !exported[n] {
				t.Errorf("%s: %s is not a metric the hub exports", where, n)
			}
		}
		for _, m := range actions.FindAllStringSubmatch(expr, -1) {
			for _, a := range strings.Split(m[1], "|") {
				if !slices.Contains(AlertActions, a) {
					t.Errorf("%s: action %q is not an alert action", where, a)
				}
			}
		}
	}
	raw, err := os.ReadFile("../../packaging/monitoring/govkiosk-hub.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Labels["team"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %q in %s lacks a name, expression, severity, team or summary", r.Alert, g.Name)
			}
			checkExpr("rule "+r.Alert, r.Expr)
		}
	}
	if n < 10 {
		t.Errorf("%d rules", n)
	}
	raw, err = os.ReadFile("../../packaging/monitoring/govkiosk-hub.grafana.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	if dash.UID == "" || len(dash.Panels) < 8 {
		t.Errorf("dashboard %q with %d panels", dash.UID, len(dash.Panels))
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			checkExpr("panel "+p.Title, q.Expr)
		}
	}
}

// TestConsoleRevoke: an operator revokes a terminal from its page (confirmed, audited);
// it is listed as revoked and its key is refused.
func TestConsoleRevoke(t *testing.T) {
	th, secrets := opHub(t, Options{})
	tk := th.enroll(t)
	c := consoleClient(t)
	resp, _ := c.PostForm(th.url("/console/signin"), url.Values{"name": {"op-operator"}, "secret": {secrets[RoleOperator]}})
	readAll(t, resp)
	resp, _ = c.Get(th.url("/console/terminals/" + tk.id))
	csrf := between(readAll(t, resp), `name="csrf" value="`, `"`)
	resp, _ = c.PostForm(th.url("/console/terminals/"+tk.id+"/revoke"), url.Values{"csrf": {csrf}, "reason": {"stolen"}})
	readAll(t, resp)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("revoke without confirming: %d", resp.StatusCode)
	}
	resp, _ = c.PostForm(th.url("/console/terminals/"+tk.id+"/revoke"), url.Values{"csrf": {csrf}, "reason": {"stolen"}, "confirm": {"1"}})
	readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	resp, _ = c.Get(th.url("/console/?state=revoked"))
	if body := readAll(t, resp); !strings.Contains(body, `id="t-`+tk.code+`" data-state="revoked"`) {
		t.Errorf("the terminal is not listed as revoked")
	}
	r := &rawTerm{t: t, ws: dialWS(t, th.wsURL()), tk: tk}
	r.send(&protocol.Hello{TerminalID: tk.id, Versions: []int{1}, App: "test"})
	ch := expect[*protocol.Challenge](r)
	r.send(protocol.SignChallenge(tk.key, tk.id, ch))
	if m, err := r.recv(); err == nil {
		if _, ok := m.(*protocol.Welcome); ok {
			t.Errorf("a revoked terminal was welcomed")
		}
	}
	entries, _ := th.AuditLog(0, 100)
	var got []string
	for _, e := range entries {
		if e.Action == "terminal.revoke" {
			got = append(got, fmt.Sprintf("%s %s %d", e.Actor, e.Target, e.Status))
		}
	}
	if want := []string{"op-operator " + tk.id + " 400", "op-operator " + tk.id + " 303"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("audited %q, want %q", got, want)
	}
}

// BenchmarkRatingsSummary: a month's summary over 10,000 stored ratings (200 terminals ×
// 50 ratings) on the bbolt store.
func BenchmarkRatingsSummary(b *testing.B) {
	th := startHub(b, Options{})
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10000 {
		_, _, err := th.st.putRating(&ratingRecord{ID: fmt.Sprintf("r%d", i), TerminalID: fmt.Sprintf("t%d", i%200),
			Item: fmt.Sprintf("item%d", i%40), Stars: 1 + i%5, CreatedAt: t0.Add(time.Duration(i) * 2 * time.Minute), Digest: "d"})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		rep, err := th.RatingsSummary("item", t0, t0.AddDate(0, 0, 30))
		if err != nil || rep.Total.Count != 10000 {
			b.Fatalf("%v %+v", err, rep.Total)
		}
	}
}

// TestPoorRatingCaseAfterCrash: a hub that stored a 1-star rating and stopped before
// opening its case (so never acknowledged it) opens the case when the terminal delivers
// the rating again.
func TestPoorRatingCaseAfterCrash(t *testing.T) {
	th := startHub(t, Options{})
	tk := th.enroll(t)
	at := time.Now().UTC().Add(-time.Minute)
	m := &protocol.Rating{ID: "lost-ack", Item: "hukou.move", Stars: 1, CreatedAt: at, Reasons: []string{"等候时间长"}}
	// What handleRating stores, without the case: the crash came in between.
	if _, _, err := th.st.putRating(&ratingRecord{ID: m.ID, TerminalID: tk.id, Item: m.Item, Stars: m.Stars, Reasons: m.Reasons,
		CreatedAt: m.CreatedAt, Digest: digestOf(m), ReceivedAt: at}); err != nil {
		t.Fatal(err)
	}
	if cs, _ := th.Cases(CaseQuery{}); len(cs) != 0 {
		t.Fatalf("cases before the repeat: %+v", cs)
	}
	rt := th.connect(t, tk)
	rt.send(m)
	if ack := expect[*protocol.Ack](rt); !ack.Duplicate {
		t.Errorf("the repeat was not answered as a duplicate: %+v", ack)
	}
	if cs, _ := th.Cases(CaseQuery{}); len(cs) != 1 || cs[0].ID != "lost-ack" || cs[0].State != CaseOpen {
		t.Errorf("cases after the repeat: %+v", cs)
	}
}

// TestAlertsPrunedAfterRetention: with a moved clock, an alert cleared and acknowledged
// longer than the retention ago is pruned with the old health events; an alert still
// active, and one cleared but never acknowledged, stay however old; a recent one stays.
func TestAlertsPrunedAfterRetention(t *testing.T) {
	clock := newTestClock()
	th, secrets := opHub(t, Options{Now: clock.Now, AlertRetention: 30 * 24 * time.Hour})
	op := basic("op-operator", secrets[RoleOperator])
	tk := th.enroll(t)
	rt := th.connect(t, tk)
	scanner := protocol.DeviceStatus{Device: "scanner", Kind: "scanner", State: protocol.DeviceOffline, Reason: "no answer", Since: time.Now().UTC()}
	card := protocol.DeviceStatus{Device: "idcard", Kind: "idcard", State: protocol.DeviceOffline, Reason: "no answer", Since: time.Now().UTC()}
	// Day 0: paper out (acknowledged, then cleared), the scanner fails (cleared, never
	// acknowledged), the card reader fails (stays active).
	rt.send(heartbeat(printer(protocol.DeviceUserError, "paper out"), scanner, card))
	var as []AlertInfo
	waitFor(t, "three alerts", func() bool { as, _ = th.Alerts(AlertQuery{}); return len(as) == 3 })
	for _, a := range as {
		if a.Device == "printer" {
			if rec := call(th.Hub, "POST", "/api/alerts/"+a.ID+"/ack", op, "127.0.0.1:5000", false, ""); rec.Code != 200 {
				t.Fatalf("ack: %d %s", rec.Code, rec.Body)
			}
		}
	}
	scanner.State, scanner.Reason = protocol.DeviceOnline, ""
	rt.send(heartbeat(printer(protocol.DeviceOnline, ""), scanner, card))
	waitFor(t, "two alerts cleared", func() bool {
		as, _ = th.Alerts(AlertQuery{})
		n := 0
		for _, a := range as {
			if !a.Active {
				n++
			}
		}
		return n == 2
	})
	th.flushHeartbeats()
	if a, e := th.PruneAlerts(); a != 0 || e != 0 {
		t.Fatalf("pruned %d alerts and %d events on day 0", a, e)
	}
	// Day 31: the paper-out alert is over; a new paper-out is raised, acknowledged, cleared.
	clock.Advance(31 * 24 * time.Hour)
	rt.send(heartbeat(printer(protocol.DeviceUserError, "paper out"), scanner, card))
	waitFor(t, "a new alert", func() bool { as, _ = th.Alerts(AlertQuery{}); return len(as) == 4 })
	if _, err := th.AckAlert(as[0].ID, "op-operator"); err != nil {
		t.Fatal(err)
	}
	rt.send(heartbeat(printer(protocol.DeviceOnline, ""), scanner, card))
	waitFor(t, "cleared", func() bool { as, _ = th.Alerts(AlertQuery{}); return !as[0].Active })
	th.flushHeartbeats()
	alerts, events := th.PruneAlerts()
	if alerts != 1 || events == 0 {
		t.Fatalf("pruned %d alerts and %d events, want 1 and the day-0 events", alerts, events)
	}
	as, _ = th.Alerts(AlertQuery{})
	var kept []string
	for _, a := range as {
		kept = append(kept, fmt.Sprintf("%s acked=%v active=%v", a.Device, a.AckedBy != "", a.Active))
	}
	want := []string{"printer acked=true active=false", "idcard acked=false active=true", "scanner acked=false active=false"}
	slices.Sort(kept)
	slices.Sort(want)
	if !slices.Equal(kept, want) {
		t.Errorf("kept %q, want %q", kept, want)
	}
	evs, err := th.st.healthEvents(tk.id, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.At.Before(clock.Now().Add(-30 * 24 * time.Hour)) {
			t.Errorf("an old health event stayed: %+v", e)
		}
	}
	if len(evs) == 0 {
		t.Error("the recent health events were pruned too")
	}
}

// BenchmarkRatingsSummary100k: a month's summary among 100,000 stored ratings spread over
// a year (200 terminals, 40 items), on the bbolt store: the cost follows the window's
// ratings, not every rating ever stored. Measured on a loaded 2-core machine: 1.34 s per
// summary scanning every rating, 29.5 ms through the time index.
func BenchmarkRatingsSummary100k(b *testing.B) {
	th := startHub(b, Options{})
	if s, ok := th.st.(*store); ok {
		s.db.NoSync = true // setup only: 100,000 separate syncs would take minutes
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 100000; i += 16 {
				_, _, err := th.st.putRating(&ratingRecord{ID: fmt.Sprintf("r%d", i), TerminalID: fmt.Sprintf("t%d", i%200),
					Item: fmt.Sprintf("item%d", i%40), Stars: 1 + i%5, Reasons: []string{"等候时间长"}, Comment: make([]byte, 60),
					CreatedAt: t0.Add(time.Duration(i) * 315 * time.Second), Digest: "d"})
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if s, ok := th.st.(*store); ok {
		s.db.NoSync = false
	}
	from := t0.AddDate(0, 6, 0)
	b.ResetTimer()
	for b.Loop() {
		rep, err := th.RatingsSummary("item", from, from.AddDate(0, 0, 30))
		if err != nil || rep.Total.Count < 8000 || rep.Total.Count > 8500 {
			b.Fatalf("%v %+v", err, rep.Total)
		}
	}
}

// TestReplicasShareConsoleSessions: with PostgreSQL, an operator signed in at one replica
// uses the console at another (the balancer may send each request anywhere), with the
// same CSRF token; signing out at the second ends the session at the first.
func TestReplicasShareConsoleSessions(t *testing.T) {
	hubs := startReplicas(t, 2)
	secret, err := AddAccount(hubs[0].Hub.opt.AccountsFile, "op-shared", RoleOperator, false)
	if err != nil {
		t.Fatal(err)
	}
	// The replicas share one accounts file, as deployed.
	raw, err := os.ReadFile(hubs[0].Hub.opt.AccountsFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hubs[1].Hub.opt.AccountsFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, h := range hubs { // accounts are read at start
		h.Close()
		hubs[i] = startHub(t, h.opt)
	}
	tk := hubs[0].enroll(t)
	c := consoleClient(t) // its cookie jar sends the cookie to both (same host, other port)
	resp, _ := c.PostForm(hubs[0].url("/console/signin"), url.Values{"name": {"op-shared"}, "secret": {secret}})
	readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	resp, _ = c.Get(hubs[1].url("/console/"))
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "op-shared") {
		t.Fatalf("the other replica: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	csrf := between(body, `name="csrf" value="`, `"`)
	resp, _ = c.PostForm(hubs[1].url("/console/terminals/"+tk.id+"/placement"), url.Values{"site": {"东城大厅"}, "csrf": {csrf}})
	readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a form at the other replica: %d", resp.StatusCode)
	}
	resp, _ = c.PostForm(hubs[1].url("/console/signout"), url.Values{"csrf": {csrf}})
	readAll(t, resp)
	resp, _ = c.Get(hubs[0].url("/console/"))
	readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/signin") {
		t.Fatalf("signed out at one replica, still in at the other: %d", resp.StatusCode)
	}
}

// TestConsoleSessionSurvivesRestart: a hub restart (an upgrade) does not sign operators
// out; the store holds only a hash of the cookie.
func TestConsoleSessionSurvivesRestart(t *testing.T) {
	th, secrets := opHub(t, Options{})
	c := consoleClient(t)
	resp, _ := c.PostForm(th.url("/console/signin"), url.Values{"name": {"op-viewer"}, "secret": {secrets[RoleViewer]}})
	readAll(t, resp)
	cookie := resp.Cookies()[0].Value
	th.Close()
	th = startHub(t, th.opt)
	resp, _ = c.Get(th.url("/console/"))
	if body := readAll(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(body, "op-viewer") {
		t.Fatalf("after a restart: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if rec, _ := th.st.consoleSession(cookie); rec != nil {
		t.Error("the session is stored under the cookie itself")
	}
}
