package hub

import (
	"github.com/prometheus/client_golang/prometheus"
)

// consoleCollector exports what the console shows to Prometheus, for the alert rules
// and the Grafana dashboard in packaging/monitoring: each terminal's connection and
// outbox, the active device alerts by action, and the follow-up cases. Revoked
// terminals are left out. With several replicas each reports the alerts raised from
// the heartbeats it received; terminals' online state is shared (presence).
type consoleCollector struct{ h *Hub }

var (
	descTerminalUp = prometheus.NewDesc("govkiosk_hub_terminal_up",
		"1 while the terminal is connected to the hub, 0 otherwise.", []string{"terminal", "site"}, nil)
	descTerminalLastSeen = prometheus.NewDesc("govkiosk_hub_terminal_last_seen_timestamp_seconds",
		"When the hub last heard from the terminal (Unix time).", []string{"terminal", "site"}, nil)
	descTerminalQueued = prometheus.NewDesc("govkiosk_hub_terminal_queued",
		"Items waiting in the terminal's outbox (queued and sending) as its last heartbeat said.", []string{"terminal", "site"}, nil)
	descTerminalFailed = prometheus.NewDesc("govkiosk_hub_terminal_queue_failed",
		"Items the terminal gave up on, as its last heartbeat said.", []string{"terminal", "site"}, nil)
	descTerminalHeld = prometheus.NewDesc("govkiosk_hub_terminal_queue_held",
		"Submissions the terminal holds for an operator (conflicts), as its last heartbeat said.", []string{"terminal", "site"}, nil)
	descAlertsActive = prometheus.NewDesc("govkiosk_hub_alerts_active",
		"Device alerts active now, by the XFS4IoT action that says who can fix them.", []string{"action"}, nil)
	descAlertsUnacked = prometheus.NewDesc("govkiosk_hub_alerts_unacknowledged",
		"Active device alerts nobody has acknowledged yet, by action.", []string{"action"}, nil)
	descCasesOpen = prometheus.NewDesc("govkiosk_hub_rating_cases_open",
		"Follow-up cases of 1-2 star ratings not closed yet.", nil, nil)
	descCasesOverdue = prometheus.NewDesc("govkiosk_hub_rating_cases_overdue",
		"Follow-up cases past their deadline and not closed.", nil, nil)
)

func (c *consoleCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descTerminalUp, descTerminalLastSeen, descTerminalQueued, descTerminalFailed,
		descTerminalHeld, descAlertsActive, descAlertsUnacked, descCasesOpen, descCasesOverdue} {
		ch <- d
	}
}

func (c *consoleCollector) Collect(ch chan<- prometheus.Metric) {
	h := c.h
	for _, t := range h.ConsoleTerminals(TerminalFilter{}) {
		if t.State == "revoked" {
			continue
		}
		up := 0.0
		if t.Online {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descTerminalUp, prometheus.GaugeValue, up, t.Code, t.Site)
		if !t.LastSeen.IsZero() {
			ch <- prometheus.MustNewConstMetric(descTerminalLastSeen, prometheus.GaugeValue, float64(t.LastSeen.Unix()), t.Code, t.Site)
		}
		ch <- prometheus.MustNewConstMetric(descTerminalQueued, prometheus.GaugeValue, float64(t.Queue.Queued+t.Queue.Sending), t.Code, t.Site)
		ch <- prometheus.MustNewConstMetric(descTerminalFailed, prometheus.GaugeValue, float64(t.Queue.Failed), t.Code, t.Site)
		ch <- prometheus.MustNewConstMetric(descTerminalHeld, prometheus.GaugeValue, float64(t.Queue.Held), t.Code, t.Site)
	}
	active, unacked := map[string]int{}, map[string]int{}
	h.alerts.mu.Lock()
	for _, a := range h.alerts.active {
		active[a.Action]++
		if a.AckedBy == "" {
			unacked[a.Action]++
		}
	}
	h.alerts.mu.Unlock()
	for _, act := range AlertActions {
		ch <- prometheus.MustNewConstMetric(descAlertsActive, prometheus.GaugeValue, float64(active[act]), act)
		ch <- prometheus.MustNewConstMetric(descAlertsUnacked, prometheus.GaugeValue, float64(unacked[act]), act)
	}
	cs, err := h.Cases(CaseQuery{})
	if err != nil {
		h.log.Warn("metrics: cases", "err", err)
		return
	}
	open, overdue := 0, 0
	for _, k := range cs {
		if k.State != CaseClosed {
			open++
		}
		if k.Overdue {
			overdue++
		}
	}
	ch <- prometheus.MustNewConstMetric(descCasesOpen, prometheus.GaugeValue, float64(open))
	ch <- prometheus.MustNewConstMetric(descCasesOverdue, prometheus.GaugeValue, float64(overdue))
}
