package hub

import (
	"html/template"
	"net/http"
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// The dashboard is one plain HTML page that refreshes itself: terminals with their
// devices, queue and versions, and recent submissions with masked tracking codes. It
// shows no personal data, so it needs no token.

var dashboardTmpl = template.Must(template.New("dash").Funcs(template.FuncMap{
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return time.Since(t).Round(time.Second).String() + " ago"
	},
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("2006-01-02 15:04:05")
	},
	"bad": func(s protocol.DeviceState) bool { return !s.Usable() },
}).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>kiosk hub {{.HubID}}</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin-bottom:2em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.on{color:#070}.off{color:#a00}.bad{color:#a00;font-weight:bold}.muted{color:#888}
</style></head><body>
<h1>Hub {{.HubID}}</h1>
<p>{{.Online}} of {{len .Terminals}} terminals online · {{.Stats.Submissions}} submissions since start ·
{{.Stats.Uploads}} uploads now · catalog <code>{{.Catalog}}</code> · config <code>{{.Config}}</code></p>
<h2>Terminals</h2>
<table><tr><th>code</th><th>name</th><th>state</th><th>last seen</th><th>devices</th><th>queue</th><th>app</th><th>catalog</th><th>config</th></tr>
{{range .Terminals}}<tr>
<td><code>{{.Code}}</code></td><td>{{.Name}}</td>
<td>{{if .Online}}<span class="on">online</span>{{else}}<span class="off">offline</span>{{end}}</td>
<td>{{ago .LastSeen}}</td>
<td>{{range .Devices}}<div{{if bad .State}} class="bad"{{end}}>{{.Device}}: {{.State}}{{if .Reason}} ({{.Reason}}){{end}}</div>{{else}}<span class="muted">none reported</span>{{end}}</td>
<td>{{.Queue.Queued}} queued{{if .Queue.Sending}}, {{.Queue.Sending}} sending{{end}}{{if .Queue.Failed}}, <span class="bad">{{.Queue.Failed}} failed</span>{{end}}</td>
<td>{{.App}}</td><td{{if .CatalogStale}} class="bad"{{end}}><code>{{.Catalog}}</code></td><td><code>{{.Config}}</code></td>
</tr>{{else}}<tr><td colspan="9" class="muted">no terminals enrolled</td></tr>{{end}}
</table>
<h2>Recent submissions</h2>
<table><tr><th>tracking code</th><th>terminal</th><th>item</th><th>attachments</th><th>received</th><th>status</th></tr>
{{range .Submissions}}<tr><td><code>{{.TrackingCode}}</code></td><td><code>{{.TerminalCode}}</code></td>
<td>{{.Item}}{{if .ItemTitle}} · {{.ItemTitle}}{{end}}</td><td>{{.Attachments}}</td><td>{{clock .ReceivedAt}}</td><td>{{.Status}}</td></tr>
{{else}}<tr><td colspan="6" class="muted">none yet</td></tr>{{end}}
</table>
</body></html>
`))

func (h *Hub) serveDashboard(w http.ResponseWriter, r *http.Request) {
	subs, err := h.Submissions(SubmissionQuery{Limit: 50})
	if err != nil {
		http.Error(w, "listing failed", http.StatusInternalServerError)
		return
	}
	for i := range subs {
		subs[i].TrackingCode = maskCode(subs[i].TrackingCode)
	}
	terms := h.Terminals()
	online := 0
	for _, t := range terms {
		if t.Online {
			online++
		}
	}
	catalog, _, _ := h.Published(kindCatalog)
	config, _, _ := h.Published(kindConfig)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	err = dashboardTmpl.Execute(w, map[string]any{
		"HubID": h.id, "Terminals": terms, "Online": online, "Submissions": subs,
		"Stats": h.Stats(), "Catalog": catalog, "Config": config,
	})
	if err != nil {
		h.log.Warn("dashboard", "err", err)
	}
}
