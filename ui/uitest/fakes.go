package uitest

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"slices"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/kiosk/access"
	"github.com/govkiosk/govkiosk/kiosk/booking"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/kiosk/licence"
	"github.com/govkiosk/govkiosk/kiosk/receipt"
	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/kiosk/tracking"
	"github.com/govkiosk/govkiosk/ui"
)

//go:embed catalog.json
var catalogJSON []byte

// Catalog returns the synthetic test catalog: three categories, a household certificate
// (pre-filled form, a two-page material), a social security card (fee, photo), a
// counter-only passport item, an anonymous suggestion, and a bundle of the first two.
func Catalog() *catalog.Catalog {
	c, err := catalog.Parse(catalogJSON)
	if err != nil {
		panic("uitest: sample catalog: " + err.Error())
	}
	return c
}

// StaticCatalog is a CatalogSource that always gives the same catalog.
type StaticCatalog struct{ C *catalog.Catalog }

// Current returns the catalog.
func (s StaticCatalog) Current() *catalog.Catalog { return s.C }

// Feed is an in-memory ui.Feed: Set changes the value and tells subscribers.
type Feed[T any] = ui.Value[T]

// NewFeed returns a feed holding v.
func NewFeed[T any](v T) *Feed[T] { return ui.NewValue(v) }

// NumberFor returns a synthetic ID number: region 990101 (no such region exists in GB/T
// 2260), the birth date, sequence seq (three digits; odd for men) and the right check
// character.
func NumberFor(birth string, seq int) string {
	first := fmt.Sprintf("990101%s%03d", birth, seq)
	c, ok := identity.CheckDigit(first)
	if !ok {
		panic("uitest: bad synthetic number " + first)
	}
	return first + string(c)
}

// Resident returns a synthetic resident card: 测试甲, born 1956 (an elder), long-term
// validity.
func Resident() *identity.Identity {
	n := NumberFor("19560307", 23)
	return &identity.Identity{
		CardType:      identity.Resident,
		Name:          "测试甲",
		Gender:        identity.GenderByCode("1"),
		Nation:        identity.Nation{Code: "01", Name: "汉"},
		Birth:         identity.Date{Year: 1956, Month: time.March, Day: 7},
		Address:       "示例省示例市样例区测试路88号",
		IDNumber:      n,
		IDNumberValid: true,
		Authority:     "示例市公安局样例分局",
		ValidFrom:     identity.Date{Year: 2016, Month: time.May, Day: 1},
		LongTerm:      true,
		Photo:         []byte{0x57, 0x4c, 0x54, 1, 2, 3},
	}
}

// Expired returns a synthetic resident card (样例乙) whose validity ended in 2020.
func Expired() *identity.Identity {
	id := Resident()
	id.Name = "样例乙"
	id.IDNumber = NumberFor("19800102", 44)
	id.ValidFrom = identity.Date{Year: 2010, Month: time.January, Day: 2}
	id.ValidTo = identity.Date{Year: 2020, Month: time.January, Day: 2}
	id.LongTerm = false
	return id
}

// PersonalStrings are the strings of an identity that must never stay on screen after a
// wipe.
func PersonalStrings(id *identity.Identity) []string {
	return []string{id.Name, id.IDNumber, id.Address, id.Authority}
}

type readResult struct {
	id  *identity.Identity
	err error
}

// Reader is a fake ID-card reader: Place puts a card on it.
type Reader struct {
	Tracker *health.Tracker
	cards   chan readResult
}

// NewReader returns an online reader with no card.
func NewReader() *Reader {
	r := &Reader{Tracker: health.NewTracker("idcard", health.IDCard), cards: make(chan readResult, 4)}
	r.Tracker.Set(health.Online, "", nil)
	return r
}

// Place puts a card on the reader; the next ReadCard returns it.
func (r *Reader) Place(id *identity.Identity) { r.cards <- readResult{id: id} }

// Fail makes the next ReadCard fail.
func (r *Reader) Fail(err error) { r.cards <- readResult{err: err} }

// ReadCard waits for a card.
func (r *Reader) ReadCard(ctx context.Context) (*identity.Identity, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case c := <-r.cards:
		return c.id, c.err
	}
}

// Health returns the reader's health.
func (r *Reader) Health() ui.Feed[health.Status] { return r.Tracker }

// Barcode is a fake barcode scanner: Scan makes it read a code.
type Barcode struct {
	Tracker *health.Tracker
	codes   chan string
}

// NewBarcode returns an online scanner.
func NewBarcode() *Barcode {
	b := &Barcode{Tracker: health.NewTracker("barcode", health.Barcode), codes: make(chan string, 4)}
	b.Tracker.Set(health.Online, "", nil)
	return b
}

// Scan makes the scanner read code.
func (b *Barcode) Scan(code string) { b.codes <- code }

// ReadCode waits for a code.
func (b *Barcode) ReadCode(ctx context.Context) (string, error) {
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case c := <-b.codes:
		return c, nil
	}
}

// Health returns the scanner's health.
func (b *Barcode) Health() ui.Feed[health.Status] { return b.Tracker }

// QR is a fake QR identifier: codes map to identities.
type QR struct {
	mu    sync.Mutex
	Codes map[string]*identity.Identity
	// Spent codes were genuine but expired or used: refused with ui.ErrQRNeedsNewCode.
	Spent map[string]bool
}

// IdentifyQR returns a copy of the identity registered for payload.
func (q *QR) IdentifyQR(ctx context.Context, payload string) (*identity.Identity, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.Spent[payload] {
		return nil, fmt.Errorf("uitest: identity code expired: %w", ui.ErrQRNeedsNewCode)
	}
	id, ok := q.Codes[payload]
	if !ok {
		return nil, errors.New("uitest: unknown identity code")
	}
	c := *id
	c.Photo = slices.Clone(id.Photo)
	return &c, nil
}

// gate is what the fake devices and queue share: a call can be made to fail
// (FailWith) or to wait (Hold, until Release), to look at error and progress screens.
type gate struct {
	mu   sync.Mutex
	err  error
	hold chan struct{}
}

// FailWith makes every call fail with err (nil: succeed again).
func (g *gate) FailWith(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.err = err
}

// Hold makes calls wait until Release.
func (g *gate) Hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.hold = make(chan struct{})
}

// Release lets held calls finish.
func (g *gate) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hold != nil {
		close(g.hold)
		g.hold = nil
	}
}

// pass waits while the gate is held and returns the error calls should fail with.
func (g *gate) pass(ctx context.Context) error {
	g.mu.Lock()
	hold, err := g.hold, g.err
	g.mu.Unlock()
	if hold != nil {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-hold:
		}
	}
	return err
}

// Scanner is a fake document scanner that returns synthetic pages.
type Scanner struct {
	Tracker *health.Tracker
	gate
	mu sync.Mutex
	n  int
}

// NewScanner returns an online scanner.
func NewScanner() *Scanner {
	s := &Scanner{Tracker: health.NewTracker("docscanner", health.DocScanner)}
	s.Tracker.Set(health.Online, "", nil)
	return s
}

// Scanned returns how many pages were scanned.
func (s *Scanner) Scanned() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Scan returns a synthetic A4-proportioned page: grey lines on white, numbered by the
// count of bars at its top.
func (s *Scanner) Scan(ctx context.Context) ([]byte, error) {
	if err := s.pass(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	return Page(n), nil
}

// Health returns the scanner's health.
func (s *Scanner) Health() ui.Feed[health.Status] { return s.Tracker }

// Page draws synthetic page n as a PNG of 620×877 pixels.
func Page(n int) []byte {
	img := image.NewGray(image.Rect(0, 0, 620, 877))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	for y := 120; y < 820; y += 36 {
		for x := 60; x < 560; x++ {
			img.SetGray(x, y, color.Gray{Y: 0x90})
		}
	}
	for i := 0; i < n && i < 10; i++ {
		for y := 40; y < 80; y++ {
			for x := 60 + i*30; x < 80+i*30; x++ {
				img.SetGray(x, y, color.Gray{Y: 0x30})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Printer is a fake receipt printer that keeps what it printed as plain text.
type Printer struct {
	Tracker *health.Tracker
	gate
	mu      sync.Mutex
	printed []string
}

// NewPrinter returns an online printer.
func NewPrinter() *Printer {
	p := &Printer{Tracker: health.NewTracker("printer", health.Printer)}
	p.Tracker.Set(health.Online, "", nil)
	return p
}

// Printed returns the receipts printed so far, as plain text 48 columns wide.
func (p *Printer) Printed() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.printed)
}

// Print records the receipt.
func (p *Printer) Print(ctx context.Context, doc receipt.Document) error {
	if err := p.pass(ctx); err != nil {
		return err
	}
	if err := doc.Validate(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.printed = append(p.printed, doc.PlainText(receipt.Cols80))
	return nil
}

// Health returns the printer's health.
func (p *Printer) Health() ui.Feed[health.Status] { return p.Tracker }

// Submission is what the fake submitter kept of an enqueued draft.
type Submission struct {
	Code      string
	ServiceID string
	ItemIDs   []string
	Values    map[string]string
	IDNumber  string
	Pages     int
	// Short is what the draft recorded of materials sent with fewer pages.
	Short []session.Shortfall
	// Licences are the e-licences used instead of scans.
	Licences []licence.Use
	// ID is the submission id the visit chose (for its booking); Booking, Delivery and
	// Address are the arrangements.
	ID       string
	Booking  *booking.Booking
	Delivery booking.Delivery
	Address  string
}

// Submitter is a fake queue: it keeps submissions and ratings in memory and answers
// lookups from Progress.
type Submitter struct {
	gate
	mu       sync.Mutex
	seq      uint64
	subs     []Submission
	ratings  []ui.Rating
	Progress map[string][]ui.Progress // by code or ID number
	// Local, set, answers as a terminal that could not ask the platform.
	Local ui.LocalReason
	// Queries counts the lookups.
	Queries int
}

// NewSubmitter returns an empty submitter.
func NewSubmitter() *Submitter { return &Submitter{Progress: map[string][]ui.Progress{}} }

// Enqueue keeps a copy of the draft and returns a tracking code of terminal TEST.
func (s *Submitter) Enqueue(ctx context.Context, d session.Draft) (string, error) {
	if err := s.pass(ctx); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	code, err := tracking.New("TEST", s.seq)
	if err != nil {
		return "", err
	}
	sub := Submission{Code: code, ServiceID: d.ServiceID, ItemIDs: slices.Clone(d.ItemIDs), Values: map[string]string{}, Pages: len(d.Scans), Short: slices.Clone(d.Short),
		Licences: slices.Clone(d.Licences), ID: d.ID, Booking: d.Booking, Delivery: d.Delivery, Address: d.Address}
	for k, v := range d.Values {
		sub.Values[k] = v
	}
	if d.Identity != nil {
		sub.IDNumber = d.Identity.IDNumber
	}
	s.subs = append(s.subs, sub)
	return code, nil
}

// Submissions returns what was enqueued.
func (s *Submitter) Submissions() []Submission {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.subs)
}

// Rate keeps the rating.
func (s *Submitter) Rate(ctx context.Context, r ui.Rating) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ratings = append(s.ratings, r)
	return nil
}

// Ratings returns the ratings received.
func (s *Submitter) Ratings() []ui.Rating {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ratings)
}

// Lookup answers from Progress by code, then by ID number, as from the platform unless
// Local is set.
func (s *Submitter) Lookup(ctx context.Context, q ui.Query) (ui.Found, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Queries++
	key := q.Code
	if key == "" {
		key = q.IDNumber
	}
	return ui.Found{Items: slices.Clone(s.Progress[key]), Local: s.Local}, nil
}

// SetProgress sets what a lookup by key (a code or an ID number) finds.
func (s *Submitter) SetProgress(key string, p ...ui.Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Progress[key] = p
}

// SetLocal makes the lookups answer as a terminal that could not ask the platform.
func (s *Submitter) SetLocal(r ui.LocalReason) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Local = r
}

// Clock is a fake clock that moves only when told.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Technician is a fake of the technician's services that records what was asked.
type Technician struct {
	mu      sync.Mutex
	cfg     *config.Config
	Calls   []string
	Access  access.State
	Fail    error
	Devices []ui.Detected
}

// NewTechnician returns a technician fake over the default configuration.
func NewTechnician() *Technician {
	return &Technician{cfg: config.Default()}
}

func (t *Technician) call(name string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Calls = append(t.Calls, name)
	return t.Fail
}

// Called returns the calls made so far.
func (t *Technician) Called() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.Calls)
}

// Config returns a copy of the configuration.
func (t *Technician) Config() *config.Config {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := *t.cfg
	c.Devices = slices.Clone(t.cfg.Devices)
	return &c
}

// Saved returns the configuration last applied.
func (t *Technician) Saved() *config.Config { return t.Config() }

// Apply keeps the configuration.
func (t *Technician) Apply(ctx context.Context, c *config.Config) (bool, error) {
	if err := t.call("apply"); err != nil {
		return false, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	cc := *c
	cc.Devices = slices.Clone(c.Devices)
	t.cfg = &cc
	return false, nil
}

// Detect returns Devices.
func (t *Technician) Detect(ctx context.Context) ([]ui.Detected, error) {
	if err := t.call("detect"); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.Devices), nil
}

// TestRead reports a masked synthetic card.
func (t *Technician) TestRead(ctx context.Context) (string, error) {
	return "resident " + identity.MaskNumber(Resident().IDNumber), t.call("test_read")
}

// TestPrint records the call.
func (t *Technician) TestPrint(ctx context.Context) error { return t.call("test_print") }

// TestScan reports a code.
func (t *Technician) TestScan(ctx context.Context) (string, error) {
	return "TEST-00001-X", t.call("test_scan")
}

// TestDocument reports a page.
func (t *Technician) TestDocument(ctx context.Context) (string, error) {
	return "620×877 PNG", t.call("test_document")
}

// Queue reports an empty queue.
func (t *Technician) Queue(ctx context.Context) (ui.QueueStatus, error) {
	return ui.QueueStatus{Pending: 2, Online: true}, t.call("queue")
}

// SyncNow records the call.
func (t *Technician) SyncNow(ctx context.Context) error { return t.call("sync_now") }

// Enroll records the call.
func (t *Technician) Enroll(ctx context.Context, url, code string) error { return t.call("enroll") }

// ExportLogs records the call.
func (t *Technician) ExportLogs(ctx context.Context) (string, error) {
	return "USB: govkiosk-logs.tar.gz", t.call("export_logs")
}

// SaveAccess keeps the lockout state.
func (t *Technician) SaveAccess(st access.State) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Access = st
	return nil
}

// Licences is a fake e-licence library: the licences of each ID number, or Err for
// every question (offline).
type Licences struct {
	mu    sync.Mutex
	by    map[string][]licence.Licence
	err   error
	asked int
}

// NewLicences returns a library that holds nothing.
func NewLicences() *Licences { return &Licences{by: map[string][]licence.Licence{}} }

// Hold gives the holder of idNumber these licences.
func (l *Licences) Hold(idNumber string, ls ...licence.Licence) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.by[idNumber] = append(l.by[idNumber], ls...)
}

// FailWith makes every question fail with err (nil: answer again).
func (l *Licences) FailWith(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.err = err
}

// Asked is how many questions were asked.
func (l *Licences) Asked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.asked
}

// Licences answers from what Hold gave.
func (l *Licences) Licences(ctx context.Context, idNumber string, types []licence.Type) ([]licence.Licence, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asked++
	if l.err != nil {
		return nil, l.err
	}
	var out []licence.Licence
	for _, x := range l.by[idNumber] {
		if slices.Contains(types, x.Type) {
			out = append(out, x)
		}
	}
	return out, nil
}

// Appointments is a fake platform calendar: every half-day of the 14 days from the
// clock's today has Places places, weekends closed; Offline fails every call.
type Appointments struct {
	mu      sync.Mutex
	now     func() time.Time
	Places  int
	taken   map[string][]string // slot → booking ids
	kept    map[string]bool     // confirmed booking ids
	offline bool
}

// NewAppointments returns a calendar with places per half-day, on the given clock.
func NewAppointments(now func() time.Time, places int) *Appointments {
	return &Appointments{now: now, Places: places, taken: map[string][]string{}, kept: map[string]bool{}}
}

// SetOffline makes every call fail as if the platform could not be reached.
func (p *Appointments) SetOffline(off bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.offline = off
}

// Taken is how many places of a slot are booked.
func (p *Appointments) Taken(slot string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.taken[slot])
}

var errFakeOffline = errors.New("uitest: platform offline")

// Slots lists the calendar.
func (p *Appointments) Slots(ctx context.Context, item string) ([]booking.Free, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.offline {
		return nil, "", errFakeOffline
	}
	var r booking.Rules
	var out []booking.Free
	for _, d := range r.Window(p.now()) {
		for _, h := range []booking.Half{booking.AM, booking.PM} {
			s := booking.Slot{Date: d, Half: h}
			out = append(out, booking.Free{Slot: s, Capacity: p.Places, Booked: len(p.taken[s.String()]),
				Closed: r.Bookable(s, p.now()) != nil})
		}
	}
	return out, "示例大厅", nil
}

// Book takes a place unless the slot is full or not bookable.
func (p *Appointments) Book(ctx context.Context, id, item string, slot booking.Slot) (booking.Booking, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.offline {
		return booking.Booking{}, errFakeOffline
	}
	var r booking.Rules
	if err := r.Bookable(slot, p.now()); err != nil {
		return booking.Booking{}, err
	}
	k := slot.String()
	if slices.Contains(p.taken[k], id) {
		return booking.Booking{ID: id, Item: item, Slot: slot}, nil
	}
	if len(p.taken[k]) >= p.Places {
		return booking.Booking{}, booking.ErrFull
	}
	p.taken[k] = append(p.taken[k], id)
	return booking.Booking{ID: id, Item: item, Slot: slot}, nil
}

// Confirmed reports whether a booking was confirmed (kept for good).
func (p *Appointments) Confirmed(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.kept[id]
}

// LoseHold gives a booked place away as the platform does when its hold runs out
// before the kiosk confirms it.
func (p *Appointments) LoseHold(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, ids := range p.taken {
		if i := slices.Index(ids, id); i >= 0 && !p.kept[id] {
			p.taken[k] = slices.Delete(ids, i, i+1)
		}
	}
}

// ConfirmBooking keeps a held place for good; a place given away is gone.
func (p *Appointments) ConfirmBooking(ctx context.Context, id string) (booking.Booking, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.offline {
		return booking.Booking{}, errFakeOffline
	}
	for k, ids := range p.taken {
		if slices.Contains(ids, id) {
			p.kept[id] = true
			s, _ := booking.Parse(k)
			return booking.Booking{ID: id, Slot: s}, nil
		}
	}
	return booking.Booking{}, errors.New("uitest: no such booking")
}

// CancelBooking gives a place back.
func (p *Appointments) CancelBooking(ctx context.Context, id string) (booking.Booking, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.offline {
		return booking.Booking{}, errFakeOffline
	}
	for k, ids := range p.taken {
		if i := slices.Index(ids, id); i >= 0 {
			p.taken[k] = slices.Delete(ids, i, i+1)
			s, _ := booking.Parse(k)
			return booking.Booking{ID: id, Slot: s}, nil
		}
	}
	return booking.Booking{}, errors.New("uitest: no such booking")
}

// CancelByTrackingCode is not known to the fake: tracking codes live in Submitter.
func (p *Appointments) CancelByTrackingCode(ctx context.Context, code string) (booking.Booking, error) {
	return booking.Booking{}, errors.New("uitest: no such booking")
}
