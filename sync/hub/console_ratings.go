package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// PublishMinRatings is how many ratings an item needs in the window before its average
// is published on the terminals' catalog.
const PublishMinRatings = 5

// PublishedRating is the badge an item carries in the catalog: the kiosk shows a star
// and the average (kiosk/catalog Item.Rating).
type PublishedRating struct {
	Average float64 `json:"average"`
	Count   int     `json:"count"`
	Since   string  `json:"since"` // YYYY-MM-DD
}

// PublishRatings marks, in the current catalog, the items whose ratings in [from, to)
// average four stars or more over at least PublishMinRatings ratings, clears the mark of
// every other item, and publishes the catalog to the terminals. It returns the items
// marked and the catalog version.
func (h *Hub) PublishRatings(from, to time.Time) (map[string]PublishedRating, string, error) {
	_, payload, ok := h.Published(kindCatalog)
	if !ok {
		return nil, "", fmt.Errorf("%w: no catalog is published", ErrBadQuery)
	}
	rep, err := h.RatingsSummary("item", from, to)
	if err != nil {
		return nil, "", err
	}
	marks := map[string]PublishedRating{}
	for _, g := range rep.Groups {
		if g.Key != "" && g.Count >= PublishMinRatings && g.Average >= 4 {
			marks[g.Key] = PublishedRating{Average: math.Round(g.Average*10) / 10, Count: g.Count,
				Since: from.In(time.Local).Format(time.DateOnly)}
		}
	}
	var cat map[string]json.RawMessage
	if err := json.Unmarshal(payload, &cat); err != nil {
		return nil, "", fmt.Errorf("%w: the catalog is not a JSON object", ErrBadQuery)
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(cat["items"], &items); err != nil {
		return nil, "", fmt.Errorf("%w: the catalog has no item list", ErrBadQuery)
	}
	for _, it := range items {
		var id string
		json.Unmarshal(it["id"], &id)
		delete(it, "rating")
		if m, ok := marks[id]; ok {
			b, _ := json.Marshal(m)
			it["rating"] = b
		}
	}
	if cat["items"], err = json.Marshal(items); err != nil {
		return nil, "", err
	}
	out, err := json.Marshal(cat)
	if err != nil {
		return nil, "", err
	}
	v, err := h.SetCatalog("", out)
	return marks, v, err
}

func (h *Hub) servePublishRatings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, err := parseWindow(q.Get("from"), q.Get("to"), h.opt.Now())
	var marks map[string]PublishedRating
	var v string
	if err == nil {
		marks, v, err = h.PublishRatings(from, to)
	}
	switch {
	case errors.Is(err, ErrBadQuery) || errors.Is(err, ErrInvalid):
		writeJSONError(w, http.StatusConflict, protocol.Errorf(protocol.CodeRejected, "", "%v", err))
	case err != nil:
		writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "publishing failed"))
	default:
		writeJSON(w, http.StatusOK, map[string]any{"catalog_version": v, "published": marks})
	}
}

// chartBar is one day of the chart: a stack of rectangles, one per star count.
type chartBar struct {
	X, W    int
	LabelY  int
	Day     string
	Label   string
	Average float64
	Count   int
	Parts   []chartPart
}

type chartPart struct {
	Y, H  int
	Fill  string
	Title string
}

// starColours run from red (1 star) to green (5).
var starColours = [5]string{"#c62828", "#ef6c00", "#f9a825", "#7cb342", "#2e7d32"}

// ratingChart lays out a stacked bar per day for an inline SVG.
func ratingChart(days []RatingDay) map[string]any {
	const width, height, pad = 720, 200, 24
	maxN := 1
	for _, d := range days {
		maxN = max(maxN, d.Count)
	}
	n := max(len(days), 1)
	step := (width - 2*pad) / n
	bw := max(2, step*3/4)
	var bars []chartBar
	for i, d := range days {
		b := chartBar{X: pad + i*step, W: bw, LabelY: height - pad + 14, Day: d.Day, Average: d.Average, Count: d.Count}
		if i == 0 || i == len(days)-1 || len(days) <= 10 {
			b.Label = d.Day[5:]
		}
		y := height - pad
		for s := 0; s < 5; s++ {
			hgt := d.Distribution[s] * (height - 2*pad) / maxN
			if d.Distribution[s] > 0 && hgt == 0 {
				hgt = 1
			}
			y -= hgt
			if hgt > 0 {
				b.Parts = append(b.Parts, chartPart{Y: y, H: hgt, Fill: starColours[s],
					Title: fmt.Sprintf("%s: %d × %d★", d.Day, d.Distribution[s], s+1)})
			}
		}
		bars = append(bars, b)
	}
	return map[string]any{"W": width, "H": height, "Pad": pad, "Bars": bars, "Max": maxN, "Base": height - pad}
}

func (h *Hub) serveConsoleRatings(w http.ResponseWriter, r *http.Request, pg consolePage) {
	q := r.URL.Query()
	by := q.Get("by")
	if by == "" {
		by = "item"
	}
	from, to, err := parseWindow(q.Get("from"), q.Get("to"), h.opt.Now())
	var rep *RatingReport
	if err == nil {
		rep, err = h.RatingsSummary(by, from, to)
	}
	if err != nil {
		pg.Error = err.Error()
		h.renderConsole(w, http.StatusBadRequest, "error", pg)
		return
	}
	pg.Title, pg.Nav = "好差评 ratings", "ratings"
	pg.Data = map[string]any{"R": rep, "Chart": ratingChart(rep.Days), "From": from.In(time.Local).Format(time.DateOnly),
		"To": to.Add(-time.Nanosecond).In(time.Local).Format(time.DateOnly), "Colours": starColours, "MinRatings": PublishMinRatings}
	h.renderConsole(w, http.StatusOK, "ratings", pg)
}

func (h *Hub) serveConsolePublishRatings(w http.ResponseWriter, r *http.Request, pg consolePage) {
	from, to, err := parseWindow(r.PostFormValue("from"), r.PostFormValue("to"), h.opt.Now())
	var marks map[string]PublishedRating
	if err == nil {
		marks, _, err = h.PublishRatings(from, to)
	}
	if err != nil {
		pg.Error = "Nothing was published: " + err.Error()
		h.renderConsole(w, http.StatusConflict, "error", pg)
		return
	}
	http.Redirect(w, r, "/console/ratings?"+url.Values{"from": {r.PostFormValue("from")}, "to": {r.PostFormValue("to")},
		"done": {fmt.Sprintf("%d items published on the catalog", len(marks))}}.Encode(), http.StatusSeeOther)
}

func (h *Hub) serveConsoleCases(w http.ResponseWriter, r *http.Request, pg consolePage) {
	q := r.URL.Query()
	cs, err := h.Cases(CaseQuery{State: q.Get("state"), Overdue: q.Get("overdue") == "1"})
	if err != nil {
		pg.Error = "Cases cannot be listed now."
		h.renderConsole(w, http.StatusInternalServerError, "error", pg)
		return
	}
	open, overdue := 0, 0
	for _, c := range cs {
		if c.State != CaseClosed {
			open++
		}
		if c.Overdue {
			overdue++
		}
	}
	pg.Title, pg.Nav = "差评 follow-up cases", "cases"
	pg.Data = map[string]any{"Cases": cs, "State": q.Get("state"), "Overdue": q.Get("overdue") == "1", "Open": open, "OverdueN": overdue,
		"States": []string{CaseOpen, CaseAssigned, CaseAnswered, CaseClosed}}
	h.renderConsole(w, http.StatusOK, "cases", pg)
}

func (h *Hub) serveConsoleCase(w http.ResponseWriter, r *http.Request, pg consolePage) {
	c, err := h.Case(r.PathValue("id"), true)
	if err != nil {
		pg.Error = "No such case."
		h.renderConsole(w, http.StatusNotFound, "error", pg)
		return
	}
	pg.Title, pg.Nav = "Case "+c.RatingRef, "cases"
	pg.Data = map[string]any{"C": c, "DeadlineDate": c.Deadline.In(time.Local).Format(time.DateOnly)}
	h.renderConsole(w, http.StatusOK, "case", pg)
}

func (h *Hub) serveConsoleUpdateCase(w http.ResponseWriter, r *http.Request, pg consolePage) {
	id := r.PathValue("id")
	u := CaseUpdate{Assignee: r.PostFormValue("assignee"), Deadline: r.PostFormValue("deadline"),
		Answer: r.PostFormValue("answer"), Close: r.PostFormValue("close") == "1"}
	if _, err := h.UpdateCase(id, u, actorOf(r).name); err != nil {
		pg.Error = "The case was not changed: " + strings.TrimPrefix(err.Error(), "hub: ")
		h.renderConsole(w, http.StatusConflict, "error", pg)
		return
	}
	http.Redirect(w, r, "/console/cases/"+url.PathEscape(id)+"?done=saved", http.StatusSeeOther)
}
