package session

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/booking"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// testCatalog has one service for each path through the application.
const testCatalog = `{
  "format": 1, "version": "session-test",
  "categories": [{"id": "cat", "title": {"zh": "测试"}}],
  "items": [
    {"id": "full", "title": {"zh": "全流程"}, "category": "cat", "department": {"zh": "测试局"},
     "time_limit_days": 3, "channels": {"kiosk": true}, "guide": {"zh": "说明"},
     "materials": [
       {"id": "register", "title": {"zh": "户口簿"}, "scannable": true, "mandatory": true, "pages": 2, "licence": "household_register"},
       {"id": "letter", "title": {"zh": "委托书"}, "scannable": true, "mandatory": false},
       {"id": "photo", "title": {"zh": "照片"}, "scannable": false, "mandatory": true}],
     "form": {"fields": [
       {"id": "name", "label": {"zh": "姓名"}, "type": "text", "required": true, "prefill": "name", "locked": true},
       {"id": "phone", "label": {"zh": "手机号码"}, "type": "mobile", "required": true}]}},
    {"id": "noscan", "title": {"zh": "无需扫描"}, "category": "cat", "department": {"zh": "测试局"},
     "time_limit_days": 0, "channels": {"kiosk": true}, "guide": {"zh": "说明"},
     "materials": [{"id": "photo", "title": {"zh": "照片"}, "scannable": false, "mandatory": true}],
     "form": {"fields": [{"id": "phone", "label": {"zh": "手机号码"}, "type": "mobile", "required": true}]}},
    {"id": "noform", "title": {"zh": "只需刷证"}, "category": "cat", "department": {"zh": "测试局"},
     "time_limit_days": 0, "channels": {"kiosk": true}, "guide": {"zh": "说明"}, "form": {"fields": []}},
    {"id": "anon", "title": {"zh": "可匿名"}, "category": "cat", "department": {"zh": "测试局"},
     "time_limit_days": 5, "channels": {"kiosk": true}, "identity": "optional", "guide": {"zh": "说明"},
     "form": {"fields": [{"id": "content", "label": {"zh": "内容"}, "type": "text", "required": true}]}},
    {"id": "elders", "title": {"zh": "高龄津贴"}, "category": "cat", "department": {"zh": "测试局"},
     "time_limit_days": 5, "channels": {"kiosk": true}, "guide": {"zh": "说明"},
     "eligibility": {"min_age": 80, "card_types": ["resident"], "elsewhere": {"zh": "请到窗口", "en": "Please go to the counter"}},
     "form": {"fields": [{"id": "phone", "label": {"zh": "手机号码"}, "type": "mobile", "required": true}]}},
    {"id": "lease", "title": {"zh": "租房提取"}, "category": "cat", "department": {"zh": "测试局"},
     "time_limit_days": 5, "channels": {"kiosk": true}, "guide": {"zh": "说明"},
     "materials": [{"id": "lease", "title": {"zh": "租赁合同"}, "scannable": true, "mandatory": true, "pages": 4, "min_pages": 2}],
     "form": {"fields": []}},
    {"id": "booked", "title": {"zh": "预约办理"}, "category": "cat", "department": {"zh": "测试局"},
     "time_limit_days": 5, "channels": {"kiosk": true, "counter": true}, "guide": {"zh": "说明"},
     "appointment": true, "post": true, "form": {"fields": []}},
    {"id": "counter", "title": {"zh": "窗口办理"}, "category": "cat", "department": {"zh": "测试局"},
     "time_limit_days": 5, "channels": {"counter": true}, "guide": {"zh": "请到窗口"}, "form": {"fields": []}}
  ]
}`

var testCat = func() *catalog.Catalog {
	c, err := catalog.Parse([]byte(testCatalog))
	if err != nil {
		panic(err)
	}
	return c
}()

func svc(id string) *catalog.Service { return testCat.Service(id) }

var errDiskFull = errors.New("queue: no space left on device")

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recorder keeps every update.
type recorder struct {
	mu  sync.Mutex
	ups []Update
}

func (r *recorder) on(u Update) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ups = append(r.ups, u)
}

func (r *recorder) kinds(k UpdateKind) []Update {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Update
	for _, u := range r.ups {
		if u.Kind == k {
			out = append(out, u)
		}
	}
	return out
}

const (
	idleTimeout = 60 * time.Second
	warningTime = 10 * time.Second
	thanksTime  = 5 * time.Second
)

func newSession(t testing.TB) (*Session, *fakeClock, *recorder) {
	t.Helper()
	clk := newClock()
	rec := &recorder{}
	s := New(Options{Clock: clk, IdleTimeout: idleTimeout, WarningTime: warningTime, ThanksTime: thanksTime, OnUpdate: rec.on})
	return s, clk, rec
}

// synthIdentity is a fictional resident of the non-existent region 990101, valid until
// 2030.
func synthIdentity(t testing.TB) *identity.Identity {
	t.Helper()
	first := "99010119850607124"
	c, ok := identity.CheckDigit(first)
	if !ok {
		t.Fatal("check digit")
	}
	return &identity.Identity{
		CardType: identity.Resident, Name: "测试甲", Gender: identity.GenderByCode("2"),
		Birth: identity.Date{Year: 1985, Month: 6, Day: 7}, Address: "测试省样例市示范路1号",
		IDNumber: first + string(c), IDNumberValid: true,
		ValidFrom: identity.Date{Year: 2020, Month: 1, Day: 1}, ValidTo: identity.Date{Year: 2030, Month: 1, Day: 1},
		Photo: []byte{0xAA, 0xBB, 0xCC},
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// driveTo brings a fresh session to st along the "full" service's path, the way a
// resident would.
func driveTo(t testing.TB, st State) (*Session, *fakeClock, *recorder) {
	t.Helper()
	s, clk, rec := newSession(t)
	steps := map[State]func(){
		StateIdle:   func() {},
		StateChoose: func() { must(t, s.Start()) },
		StateGuide:  func() { must(t, s.Start()); must(t, s.Choose(svc("full"))) },
		StateIdentify: func() {
			must(t, s.Start())
			must(t, s.Choose(svc("full")))
			must(t, s.Begin())
		},
	}
	steps[StateForm] = func() {
		steps[StateIdentify]()
		must(t, s.Identify(synthIdentity(t)))
		must(t, s.Form().Set("phone", "13912345678"))
	}
	steps[StateMaterials] = func() { steps[StateForm](); must(t, s.FormDone()) }
	steps[StateReview] = func() {
		steps[StateMaterials]()
		must(t, s.AddScan("register", []byte("page-1")))
		must(t, s.AddScan("register", []byte("page-2")))
		must(t, s.MaterialsDone())
	}
	steps[StateSubmitting] = func() { steps[StateReview](); must(t, s.Confirm()) }
	steps[StateSubmitFailed] = func() { steps[StateSubmitting](); must(t, s.SubmitFailed(errDiskFull)) }
	steps[StatePrinting] = func() { steps[StateSubmitting](); must(t, s.Submitted("T1-000001-K")) }
	steps[StateReceipt] = func() { steps[StatePrinting](); must(t, s.Printed(true)) }
	steps[StateRate] = func() { steps[StateReceipt](); must(t, s.Finish()) }
	steps[StateWipe] = func() { steps[StateRate](); must(t, s.Rate(5)) }
	steps[StateWarning] = func() { steps[StateChoose](); must(t, s.Timeout()) }
	steps[StateConfirmHome] = func() { steps[StateForm](); must(t, s.Home()) }
	steps[StateQuery] = func() { must(t, s.OpenQuery()) }
	steps[StateQueryResult] = func() {
		must(t, s.OpenQuery())
		must(t, s.Lookup(QueryKey{Kind: QueryCode, Code: "T1-000001-K"}))
	}
	steps[StateNotices] = func() { must(t, s.OpenNotices()) }
	steps[StateArrange] = func() {
		must(t, s.Start())
		must(t, s.Choose(svc("booked")))
		must(t, s.Begin())
		must(t, s.Identify(synthIdentity(t)))
	}
	f, ok := steps[st]
	if !ok {
		t.Fatalf("no path to %s", st)
	}
	f()
	if got := s.State(); got != st {
		t.Fatalf("driveTo(%s) reached %s", st, got)
	}
	return s, clk, rec
}

// fire sends ev with arguments that make it succeed wherever it can.
func fire(t testing.TB, s *Session, ev Event) error {
	switch ev {
	case EventStart:
		return s.Start()
	case EventChoose:
		return s.Choose(svc("noscan"))
	case EventBegin:
		return s.Begin()
	case EventIdentify:
		return s.Identify(synthIdentity(t))
	case EventSkipIdentify:
		return s.SkipIdentify()
	case EventFormDone:
		return s.FormDone()
	case EventScan:
		return s.AddScan("register", []byte("page"))
	case EventMaterialsDone:
		return s.MaterialsDone()
	case EventConfirm:
		return s.Confirm()
	case EventSubmitted:
		return s.Submitted("T1-000002-P")
	case EventSubmitFailed:
		return s.SubmitFailed(errDiskFull)
	case EventRetry:
		return s.Retry()
	case EventPrinted:
		return s.Printed(false)
	case EventReprint:
		return s.Reprint()
	case EventFinish:
		return s.Finish()
	case EventRate:
		return s.Rate(4)
	case EventSkipRate:
		return s.SkipRate()
	case EventBack:
		return s.Back()
	case EventHome:
		return s.Home()
	case EventConfirmHome:
		return s.ConfirmHome()
	case EventStillHere:
		return s.StillHere()
	case EventTimeout:
		return s.Timeout()
	case EventOpenQuery:
		return s.OpenQuery()
	case EventLookup:
		return s.Lookup(QueryKey{Kind: QueryCode, Code: "T1-000001-K"})
	case EventOpenRate:
		return s.OpenRate()
	case EventOpenNotices:
		return s.OpenNotices()
	case EventArrange:
		return s.SetDelivery(booking.Counter, "")
	case EventArrangeDone:
		return s.ArrangeDone()
	}
	t.Fatalf("no way to fire %s", ev)
	return nil
}
