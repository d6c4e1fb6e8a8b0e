package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// 好差评: what the residents' 1–5 star ratings say, grouped by service item, terminal or
// site over a time window; a follow-up case for every 1–2 star rating (差评); and the
// four- and five-star items published on the terminals' catalog.

// CaseDeadlineWorkingDays is a case's default deadline: 15 working days (Monday to
// Friday; public holidays are not modelled, the operator moves the deadline for them).
const CaseDeadlineWorkingDays = 15

// addWorkingDays returns t moved n working days (Monday–Friday) later.
func addWorkingDays(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return t
}

// RatingSummary is the ratings of one group (or all) in a window.
type RatingSummary struct {
	// Key is the item id, terminal id or site; Label what the console shows.
	Key     string  `json:"key"`
	Label   string  `json:"label,omitempty"`
	Count   int     `json:"count"`
	Average float64 `json:"average"`
	// Distribution counts the ratings of 1 to 5 stars (index 0 is 1 star).
	Distribution [5]int `json:"distribution"`
}

func (s *RatingSummary) add(stars int) {
	if stars < 1 || stars > 5 {
		return
	}
	s.Count++
	s.Distribution[stars-1]++
}

func (s *RatingSummary) finish() {
	if s.Count == 0 {
		return
	}
	sum := 0
	for i, n := range s.Distribution {
		sum += (i + 1) * n
	}
	s.Average = math.Round(float64(sum)/float64(s.Count)*100) / 100
}

// RatingDay is one day of ratings for the chart over time.
type RatingDay struct {
	Day string `json:"day"` // YYYY-MM-DD, hub local time
	RatingSummary
}

// RatingReport answers GET /api/ratings/summary.
type RatingReport struct {
	By     string          `json:"by"`
	From   time.Time       `json:"from"`
	To     time.Time       `json:"to"`
	Total  RatingSummary   `json:"total"`
	Groups []RatingSummary `json:"groups"`
	Days   []RatingDay     `json:"days,omitempty"`
}

// ErrBadQuery is a summary or case request with a parameter the hub cannot use.
var ErrBadQuery = errors.New("hub: bad query")

// RatingsSummary groups the ratings created in [from, to) by "item", "terminal" or
// "site", with the whole window's total and a per-day series.
func (h *Hub) RatingsSummary(by string, from, to time.Time) (*RatingReport, error) {
	if by == "" {
		by = "item"
	}
	if by != "item" && by != "terminal" && by != "site" {
		return nil, fmt.Errorf("%w: by must be item, terminal or site", ErrBadQuery)
	}
	if !from.Before(to) {
		return nil, fmt.Errorf("%w: from must be before to", ErrBadQuery)
	}
	rs, err := h.st.ratingsBetween(from, to)
	if err != nil {
		return nil, err
	}
	names := h.terminalNames()
	titles := h.itemTitles()
	groups := map[string]*RatingSummary{}
	days := map[string]*RatingDay{}
	rep := &RatingReport{By: by, From: from, To: to, Total: RatingSummary{Key: "all"}}
	for _, r := range rs {
		var key, label string
		switch by {
		case "item":
			key, label = r.Item, titles[r.Item]
		case "terminal":
			key, label = r.TerminalID, names[r.TerminalID].code
			if n := names[r.TerminalID].name; n != "" {
				label += " " + n
			}
		case "site":
			key = names[r.TerminalID].site
		}
		g := groups[key]
		if g == nil {
			g = &RatingSummary{Key: key, Label: label}
			groups[key] = g
		}
		g.add(r.Stars)
		rep.Total.add(r.Stars)
		d := r.CreatedAt.In(time.Local).Format(time.DateOnly)
		if days[d] == nil {
			days[d] = &RatingDay{Day: d}
		}
		days[d].add(r.Stars)
	}
	rep.Total.finish()
	rep.Groups = []RatingSummary{}
	for _, g := range groups {
		g.finish()
		rep.Groups = append(rep.Groups, *g)
	}
	slices.SortFunc(rep.Groups, func(a, b RatingSummary) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Key, b.Key)
	})
	for _, d := range days {
		d.finish()
		rep.Days = append(rep.Days, *d)
	}
	slices.SortFunc(rep.Days, func(a, b RatingDay) int { return strings.Compare(a.Day, b.Day) })
	return rep, nil
}

// itemTitles maps the published catalog's item ids to their Chinese titles.
func (h *Hub) itemTitles() map[string]string {
	out := map[string]string{}
	_, payload, ok := h.Published(kindCatalog)
	if !ok {
		return out
	}
	var cat struct {
		Items []struct {
			ID    string `json:"id"`
			Title struct {
				Zh string `json:"zh"`
			} `json:"title"`
		} `json:"items"`
	}
	if json.Unmarshal(payload, &cat) == nil {
		for _, it := range cat.Items {
			out[it.ID] = it.Title.Zh
		}
	}
	return out
}

// parseWindow reads from and to: RFC 3339 times or dates (YYYY-MM-DD, hub local time;
// a date as to includes that day). Defaults: the 30 days up to now.
func parseWindow(fromS, toS string, now time.Time) (from, to time.Time, err error) {
	parse := func(s string, end bool) (time.Time, error) {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t, nil
		}
		t, err := time.ParseInLocation(time.DateOnly, s, time.Local)
		if err != nil {
			return time.Time{}, fmt.Errorf("%w: %q is neither a date (YYYY-MM-DD) nor an RFC 3339 time", ErrBadQuery, s)
		}
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	to = now
	if toS != "" {
		if to, err = parse(toS, true); err != nil {
			return
		}
	}
	from = to.AddDate(0, 0, -30)
	if fromS != "" {
		if from, err = parse(fromS, false); err != nil {
			return
		}
	}
	if !from.Before(to) {
		err = fmt.Errorf("%w: from must be before to", ErrBadQuery)
	}
	return
}

func (h *Hub) serveRatingsSummary(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, err := parseWindow(q.Get("from"), q.Get("to"), h.opt.Now())
	if err == nil {
		var rep *RatingReport
		rep, err = h.RatingsSummary(q.Get("by"), from, to)
		if err == nil {
			writeJSON(w, http.StatusOK, rep)
			return
		}
	}
	if errors.Is(err, ErrBadQuery) {
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "%v", err))
		return
	}
	writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "summary failed"))
}

// followUp opens the case of a 1–2 star rating; idempotent, so a rating delivered again
// (its ack lost) finds its case opened.
func (h *Hub) followUp(r *ratingRecord) error {
	if r.Stars < 1 || r.Stars > 2 {
		return nil
	}
	now := h.opt.Now().UTC()
	c := &caseRecord{ID: r.ID, RatingRef: r.HubRef, TerminalID: r.TerminalID, Item: r.Item, Stars: r.Stars,
		Reasons: r.Reasons, Comment: r.Comment, RatedAt: r.CreatedAt, Opened: now,
		Deadline: addWorkingDays(now, CaseDeadlineWorkingDays)}
	_, err := h.st.openCase(c)
	return err
}

// Case states.
const (
	CaseOpen     = "open"
	CaseAssigned = "assigned"
	CaseAnswered = "answered"
	CaseClosed   = "closed"
)

func (c *caseRecord) state() string {
	switch {
	case !c.ClosedAt.IsZero():
		return CaseClosed
	case !c.AnsweredAt.IsZero():
		return CaseAnswered
	case c.Assignee != "":
		return CaseAssigned
	}
	return CaseOpen
}

// CaseInfo is a follow-up case as the API and console show it. Comment and Answer are
// personal data, filled only for roles that may read it.
type CaseInfo struct {
	ID           string    `json:"id"`
	RatingRef    string    `json:"rating_ref"`
	TerminalID   string    `json:"terminal_id"`
	TerminalCode string    `json:"terminal_code"`
	Site         string    `json:"site,omitempty"`
	Item         string    `json:"item,omitempty"`
	ItemTitle    string    `json:"item_title,omitempty"`
	Stars        int       `json:"stars"`
	Reasons      []string  `json:"reasons,omitempty"`
	RatedAt      time.Time `json:"rated_at"`
	Opened       time.Time `json:"opened"`
	Deadline     time.Time `json:"deadline"`
	State        string    `json:"state"`
	Overdue      bool      `json:"overdue"`
	Assignee     string    `json:"assignee,omitempty"`
	AnsweredAt   time.Time `json:"answered_at,omitzero"`
	AnsweredBy   string    `json:"answered_by,omitempty"`
	ClosedAt     time.Time `json:"closed_at,omitzero"`
	ClosedBy     string    `json:"closed_by,omitempty"`
	Comment      string    `json:"comment,omitempty"`
	Answer       string    `json:"answer,omitempty"`
}

func (h *Hub) caseInfo(c *caseRecord, names map[string]termNames, titles map[string]string, personal bool) (CaseInfo, error) {
	n := names[c.TerminalID]
	ci := CaseInfo{ID: c.ID, RatingRef: c.RatingRef, TerminalID: c.TerminalID, TerminalCode: n.code, Site: n.site,
		Item: c.Item, ItemTitle: titles[c.Item], Stars: c.Stars, Reasons: c.Reasons, RatedAt: c.RatedAt, Opened: c.Opened,
		Deadline: c.Deadline, State: c.state(), Assignee: c.Assignee, AnsweredAt: c.AnsweredAt, AnsweredBy: c.AnsweredBy,
		ClosedAt: c.ClosedAt, ClosedBy: c.ClosedBy}
	ci.Overdue = ci.State != CaseClosed && h.opt.Now().After(c.Deadline)
	if personal {
		if len(c.Comment) > 0 {
			p, err := h.seal.open(c.Comment, []byte("rating:"+c.ID))
			if err != nil {
				return ci, err
			}
			ci.Comment = string(p)
		}
		if len(c.Answer) > 0 {
			p, err := h.seal.open(c.Answer, []byte("case:"+c.ID))
			if err != nil {
				return ci, err
			}
			ci.Answer = string(p)
		}
	}
	return ci, nil
}

// CaseQuery selects cases.
type CaseQuery struct {
	// State keeps one state; Overdue only overdue cases.
	State   string
	Overdue bool
	// Personal decrypts the resident's comment and the answer.
	Personal bool
}

// Cases lists follow-up cases, newest first.
func (h *Hub) Cases(q CaseQuery) ([]CaseInfo, error) {
	cs, err := h.st.cases()
	if err != nil {
		return nil, err
	}
	names, titles := h.terminalNames(), h.itemTitles()
	out := []CaseInfo{}
	for _, c := range cs {
		ci, err := h.caseInfo(c, names, titles, q.Personal)
		if err != nil {
			return nil, err
		}
		if q.State != "" && ci.State != q.State || q.Overdue && !ci.Overdue {
			continue
		}
		out = append(out, ci)
	}
	return out, nil
}

// Case returns one case (ErrNotFound when unknown).
func (h *Hub) Case(id string, personal bool) (*CaseInfo, error) {
	c, err := h.st.getCase(id)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, ErrNotFound
	}
	ci, err := h.caseInfo(c, h.terminalNames(), h.itemTitles(), personal)
	return &ci, err
}

// CaseUpdate changes a case. Empty fields change nothing.
type CaseUpdate struct {
	Assignee string `json:"assignee,omitempty"`
	// Deadline is a date (YYYY-MM-DD, hub local time; the case is due by its end) or an
	// RFC 3339 time.
	Deadline string `json:"deadline,omitempty"`
	Answer   string `json:"answer,omitempty"`
	Close    bool   `json:"close,omitempty"`
}

// ErrCaseState is a change a case's state does not allow (closing an unanswered case,
// changing a closed one).
var ErrCaseState = errors.New("hub: the case's state does not allow that")

// UpdateCase applies u to case id on behalf of person.
func (h *Hub) UpdateCase(id string, u CaseUpdate, person string) (*CaseInfo, error) {
	c, err := h.st.getCase(id)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, ErrNotFound
	}
	if !c.ClosedAt.IsZero() {
		return nil, fmt.Errorf("%w: it is closed", ErrCaseState)
	}
	now := h.opt.Now().UTC()
	if a := strings.TrimSpace(u.Assignee); a != "" {
		if len(a) > 64 {
			return nil, fmt.Errorf("%w: assignee is over 64 characters", ErrBadQuery)
		}
		c.Assignee = a
	}
	if u.Deadline != "" {
		_, d, err := parseWindow("", u.Deadline, now)
		if err != nil {
			return nil, err
		}
		if _, perr := time.Parse(time.RFC3339, u.Deadline); perr != nil {
			d = d.Add(-time.Second) // a date: due by the end of that day
		}
		c.Deadline = d.UTC()
	}
	if a := strings.TrimSpace(u.Answer); a != "" {
		if len(a) > 4000 {
			return nil, fmt.Errorf("%w: the answer is over 4000 bytes", ErrBadQuery)
		}
		c.Answer = h.seal.seal([]byte(a), []byte("case:"+c.ID))
		c.AnsweredAt, c.AnsweredBy = now, person
	}
	if u.Close {
		if c.AnsweredAt.IsZero() {
			return nil, fmt.Errorf("%w: answer the resident before closing", ErrCaseState)
		}
		c.ClosedAt, c.ClosedBy = now, person
	}
	if err := h.st.putCase(c); err != nil {
		return nil, err
	}
	ci, err := h.caseInfo(c, h.terminalNames(), h.itemTitles(), false)
	return &ci, err
}

func (h *Hub) serveCases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cs, err := h.Cases(CaseQuery{State: q.Get("state"), Overdue: q.Get("overdue") == "1"})
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "listing failed"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(cs), "cases": cs})
}

func (h *Hub) serveUpdateCase(w http.ResponseWriter, r *http.Request) {
	var u CaseUpdate
	if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "body is not a case update"))
		return
	}
	ci, err := h.UpdateCase(r.PathValue("id"), u, actorOf(r).name)
	writeCaseResult(w, ci, err)
}

func writeCaseResult(w http.ResponseWriter, ci *CaseInfo, err error) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, ci)
	case errors.Is(err, ErrNotFound):
		writeJSONError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "", "no such case"))
	case errors.Is(err, ErrBadQuery), errors.Is(err, ErrCaseState):
		writeJSONError(w, http.StatusConflict, protocol.Errorf(protocol.CodeRejected, "", "%v", err))
	default:
		writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "case update failed"))
	}
}
