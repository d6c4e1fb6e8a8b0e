package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/identity"
)

func TestIdentifyChecks(t *testing.T) {
	expired := synthIdentity(t)
	expired.ValidTo = identity.Date{Year: 2026, Month: 3, Day: 1}
	badNumber := synthIdentity(t)
	badNumber.IDNumberValid = false
	foreign := synthIdentity(t)
	foreign.CardType, foreign.IDNumberValid = identity.ForeignerPermanent2017, false
	longTerm := synthIdentity(t)
	longTerm.ValidTo, longTerm.LongTerm = identity.Date{}, true
	lastDay := synthIdentity(t)
	lastDay.ValidTo = identity.Date{Year: 2026, Month: 3, Day: 2}

	tests := []struct {
		name string
		id   *identity.Identity
		want error
	}{
		{"valid", synthIdentity(t), nil},
		{"expired yesterday", expired, ErrCardExpired},
		{"expires today", lastDay, nil},
		{"long-term", longTerm, nil},
		{"resident number fails check", badNumber, ErrCardInvalid},
		{"foreigner 2017 number has no check", foreign, nil},
		{"nil", nil, ErrCardInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := driveTo(t, StateIdentify)
			err := s.Identify(tt.id)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Identify = %v; want %v", err, tt.want)
			}
			if tt.want != nil {
				if s.State() != StateIdentify || s.Identity() != nil {
					t.Errorf("refused card: state %s identity kept %v", s.State(), s.Identity() != nil)
				}
				if tt.id != nil && (tt.id.Name != "" || tt.id.Photo != nil) {
					t.Error("a refused card's data was not wiped")
				}
				return
			}
			if s.State() != StateForm || s.Form().Value("name") != "测试甲" || !s.Form().Locked("name") {
				t.Errorf("accepted card: state %s, name %q locked %v", s.State(), s.Form().Value("name"), s.Form().Locked("name"))
			}
		})
	}
}

func TestSecondCardReplacesFirst(t *testing.T) {
	s, _, _ := driveTo(t, StateForm)
	first := s.Identity()
	photo := first.Photo
	must(t, s.Back())
	second := synthIdentity(t)
	second.Name = "样例乙"
	must(t, s.Identify(second))
	if first.Name != "" || !bytes.Equal(photo, make([]byte, len(photo))) {
		t.Error("the first card's data was not wiped")
	}
	if s.Form().Value("name") != "样例乙" {
		t.Errorf("name %q; want the second card's", s.Form().Value("name"))
	}
	// What the resident typed survives going back to place a card.
	if s.Form().Value("phone") != "13912345678" {
		t.Error("the typed phone number was lost")
	}
}

func TestMaterials(t *testing.T) {
	s, _, _ := driveTo(t, StateMaterials)
	if miss := s.Missing(); len(miss) != 1 || miss[0].ID != "register" {
		t.Fatalf("missing %v; want the mandatory scannable register only", miss)
	}
	var me *MissingError
	if err := s.MaterialsDone(); !errors.As(err, &me) || me.Materials[0] != "register" {
		t.Fatalf("MaterialsDone = %v; want *MissingError{register}", err)
	}
	for _, id := range []string{"photo", "nothing"} {
		if err := s.AddScan(id, []byte("x")); !errors.Is(err, ErrUnknownMaterial) {
			t.Errorf("AddScan(%s) = %v; want ErrUnknownMaterial (not scannable or not asked)", id, err)
		}
	}
	p1, p2, p3 := []byte("page-one"), []byte("page-two"), []byte("page-three")
	must(t, s.AddScan("register", p1))
	must(t, s.AddScan("register", p2))
	must(t, s.AddScan("register", p3))
	// Retake the second page.
	must(t, s.RemoveScan("register", 2))
	if !bytes.Equal(p2, make([]byte, len(p2))) {
		t.Error("a removed page's bytes were not cleared")
	}
	pages := s.Pages("register")
	if len(pages) != 2 || string(pages[0]) != "page-one" || string(pages[1]) != "page-three" {
		t.Errorf("pages after removing the second: %q", pages)
	}
	if err := s.RemoveScan("register", 3); !errors.Is(err, ErrUnknownMaterial) {
		t.Errorf("RemoveScan beyond the pages = %v", err)
	}
	must(t, s.Retake("register"))
	if s.PageCount("register") != 0 || !bytes.Equal(p1, make([]byte, len(p1))) {
		t.Error("Retake kept pages")
	}
	for i := range MaxPages {
		must(t, s.AddScan("letter", []byte{byte(i)}))
	}
	if err := s.AddScan("letter", []byte("one more")); !errors.Is(err, ErrTooManyPages) {
		t.Errorf("page %d: %v; want ErrTooManyPages", MaxPages+1, err)
	}
	must(t, s.AddScan("register", []byte("again")))
	must(t, s.AddScan("register", []byte("again, page 2")))
	must(t, s.MaterialsDone())
}

func TestSubmitAndPrint(t *testing.T) {
	s, _, rec := driveTo(t, StateReview)
	if _, err := s.Draft(); !errors.Is(err, ErrIllegal) {
		t.Errorf("Draft before Confirm = %v; want illegal", err)
	}
	must(t, s.Confirm())
	d, err := s.Draft()
	if err != nil {
		t.Fatal(err)
	}
	if d.ServiceID != "full" || len(d.ItemIDs) != 1 || d.ItemIDs[0] != "full" || d.Identity == nil ||
		d.Values["name"] != "测试甲" || d.Values["phone"] != "13912345678" ||
		len(d.Scans) != 2 || d.Scans[0].MaterialID != "register" || d.Scans[0].Page != 1 || string(d.Scans[0].Data) != "page-1" || len(d.Short) != 0 {
		t.Fatalf("draft %+v", d)
	}
	scan := d.Scans[0].Data

	// The disk is full: the failure is a state with a way out.
	must(t, s.SubmitFailed(errDiskFull))
	if !errors.Is(s.SubmitErr(), errDiskFull) {
		t.Errorf("SubmitErr = %v", s.SubmitErr())
	}
	must(t, s.Retry())
	if err := s.Submitted(""); !errors.Is(err, ErrNoCode) {
		t.Errorf("Submitted without a code = %v", err)
	}
	must(t, s.Submitted("T1-000001-K"))
	if s.TrackingCode() != "T1-000001-K" || s.SubmitErr() != nil {
		t.Errorf("code %q err %v", s.TrackingCode(), s.SubmitErr())
	}
	if !bytes.Equal(scan, make([]byte, len(scan))) || s.PageCount("register") != 0 {
		t.Error("stored scans were kept in memory after Submitted")
	}

	// The printer is out of paper: the receipt screen shows the code.
	must(t, s.Printed(false))
	if s.State() != StateReceipt || s.ReceiptPrinted() {
		t.Fatalf("state %s printed %v", s.State(), s.ReceiptPrinted())
	}
	// Leaving would lose the only copy of the code: ask.
	must(t, s.Home())
	if s.State() != StateConfirmHome {
		t.Fatalf("home with an unprinted code went to %s", s.State())
	}
	must(t, s.Back())
	// Paper changed: print again, then leaving needs no question.
	must(t, s.Reprint())
	must(t, s.Printed(true))
	must(t, s.Finish())
	if err := s.Rate(0); !errors.Is(err, ErrBadRating) {
		t.Errorf("Rate(0) = %v", err)
	}
	must(t, s.Rate(5))
	rated := rec.kinds(UpdateRated)
	if len(rated) != 1 || rated[0].Rating != 5 || rated[0].ServiceID != "full" || rated[0].TrackingCode != "T1-000001-K" {
		t.Errorf("rated updates %+v", rated)
	}
	if s.State() != StateWipe || s.TrackingCode() != "" || s.Service() != nil {
		t.Errorf("after rating: state %s code %q", s.State(), s.TrackingCode())
	}
}

// TestWipeEverything ends a visit every way it can end and checks nothing personal
// survives: the identity's fields and photo, the form, the scanned bytes, the code.
func TestWipeEverything(t *testing.T) {
	tests := []struct {
		name   string
		end    func(t *testing.T, s *Session, clk *fakeClock)
		reason WipeReason
		// keeps is set where the resident is still there: their language and elder
		// mode hold (TestBackToStartKeepsLanguageAndElder), their personal data goes.
		keeps bool
	}{
		{"home confirmed", func(t *testing.T, s *Session, _ *fakeClock) {
			must(t, s.Home())
			must(t, s.ConfirmHome())
		}, ReasonHome, false},
		{"timeout", func(t *testing.T, s *Session, clk *fakeClock) {
			clk.Advance(idleTimeout * ElderFactor) // the resident turned elder mode on
			s.Tick()
			clk.Advance(warningTime)
			s.Tick()
		}, ReasonTimeout, false},
		{"reset", func(t *testing.T, s *Session, _ *fakeClock) { must(t, s.Reset()) }, ReasonReset, false},
		{"back to the start screen", func(t *testing.T, s *Session, _ *fakeClock) {
			for s.State() != StateChoose {
				must(t, s.Back())
			}
			must(t, s.Back())
		}, ReasonBack, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clk, rec := driveTo(t, StateMaterials)
			id := s.Identity()
			photo := id.Photo
			f := s.Form()
			page := []byte("scanned-page")
			must(t, s.AddScan("register", page))
			s.SetLang(form.En)
			s.SetElder(true)

			tt.end(t, s, clk)

			if s.State() != StateIdle {
				t.Fatalf("ended in %s", s.State())
			}
			if id.Name != "" || id.IDNumber != "" || !bytes.Equal(photo, make([]byte, len(photo))) {
				t.Error("identity survived")
			}
			if len(f.Values()) != 0 || f.Set("phone", "13912345678") == nil {
				t.Error("form survived")
			}
			if !bytes.Equal(page, make([]byte, len(page))) {
				t.Error("scanned bytes survived")
			}
			if s.Identity() != nil || s.Form() != nil || s.Service() != nil || s.PageCount("register") != 0 {
				t.Error("the session still references the visit")
			}
			if (s.Lang() != form.Zh || s.Elder()) && !tt.keeps {
				t.Error("the next resident inherits this one's language or elder mode")
			}
			w := rec.kinds(UpdateWiped)
			if len(w) == 0 || w[len(w)-1].Reason != tt.reason {
				t.Errorf("wiped updates %+v; want reason %s", w, tt.reason)
			}
		})
	}
}

func TestIdleTimeout(t *testing.T) {
	s, clk, rec := driveTo(t, StateForm)
	clk.Advance(idleTimeout - time.Second)
	s.Tick()
	if s.State() != StateForm || s.Remaining() != time.Second {
		t.Fatalf("before the timeout: state %s remaining %v", s.State(), s.Remaining())
	}
	// A touch restarts the timer.
	s.Touch()
	clk.Advance(idleTimeout - time.Second)
	s.Tick()
	if s.State() != StateForm {
		t.Fatal("a touch did not restart the timer")
	}
	clk.Advance(time.Second)
	s.Tick()
	if s.State() != StateWarning {
		t.Fatalf("state %s; want the warning", s.State())
	}
	if under, ok := s.Returning(); !ok || under != StateForm {
		t.Errorf("Returning = %s, %v", under, ok)
	}
	if w := rec.kinds(UpdateWarning); len(w) != 1 || w[0].Remaining != warningTime {
		t.Errorf("warning updates %+v", w)
	}
	// The countdown: one update per whole second that changes.
	for range 3 {
		clk.Advance(time.Second)
		s.Tick()
		s.Tick() // a second tick in the same second says nothing new
	}
	cd := rec.kinds(UpdateCountdown)
	if len(cd) != 3 || cd[2].Remaining != warningTime-3*time.Second {
		t.Errorf("countdown updates %+v", cd)
	}
	if s.Remaining() != warningTime-3*time.Second {
		t.Errorf("Remaining %v", s.Remaining())
	}
	// "Still there?" — yes: back to the form with everything.
	s.Touch()
	if s.State() != StateForm || s.Form().Value("phone") != "13912345678" {
		t.Fatalf("after answering: state %s", s.State())
	}
	// No answer this time: everything goes.
	clk.Advance(idleTimeout)
	s.Tick()
	clk.Advance(warningTime - time.Millisecond)
	s.Tick()
	if s.State() != StateWarning {
		t.Fatal("wiped before the countdown ended")
	}
	clk.Advance(time.Millisecond)
	s.Tick()
	if s.State() != StateIdle || s.Identity() != nil {
		t.Errorf("after the countdown: state %s", s.State())
	}
}

func TestElderModeDoublesTimeout(t *testing.T) {
	s, clk, _ := driveTo(t, StateChoose)
	s.SetElder(true)
	clk.Advance(idleTimeout)
	s.Tick()
	if s.State() != StateChoose {
		t.Fatal("elder mode timed out at the normal timeout")
	}
	clk.Advance(idleTimeout * (ElderFactor - 1))
	s.Tick()
	if s.State() != StateWarning {
		t.Errorf("state %s; want the warning", s.State())
	}
}

func TestNoTimeoutWhileWorking(t *testing.T) {
	for _, st := range []State{StateIdle, StateSubmitting, StatePrinting} {
		s, clk, _ := driveTo(t, st)
		clk.Advance(time.Hour)
		s.Tick()
		if s.State() != st {
			t.Errorf("%s timed out to %s", st, s.State())
		}
		if s.Remaining() != 0 {
			t.Errorf("%s: Remaining %v; want 0", st, s.Remaining())
		}
	}
}

func TestThanksReturnsToIdle(t *testing.T) {
	s, clk, _ := driveTo(t, StateWipe)
	clk.Advance(thanksTime - time.Second)
	s.Tick()
	if s.State() != StateWipe {
		t.Fatal("left the thank-you screen early")
	}
	clk.Advance(time.Second)
	s.Tick()
	if s.State() != StateIdle {
		t.Errorf("state %s; want idle", s.State())
	}
	s2, _, _ := driveTo(t, StateWipe)
	s2.Touch()
	if s2.State() != StateIdle {
		t.Errorf("a touch on the thank-you screen left %s", s2.State())
	}
}

func TestTimeoutOverConfirmHome(t *testing.T) {
	s, _, _ := driveTo(t, StateConfirmHome)
	must(t, s.Timeout())
	must(t, s.StillHere())
	if s.State() != StateConfirmHome {
		t.Fatalf("state %s; want back to the question", s.State())
	}
	must(t, s.Back())
	if s.State() != StateForm {
		t.Errorf("state %s; want the form", s.State())
	}
}

func TestSidePaths(t *testing.T) {
	// Rate only, from the start screen and from the catalog.
	s, _, rec := newSession(t)
	must(t, s.OpenRate())
	if !s.RateOnly() {
		t.Error("RateOnly false")
	}
	must(t, s.Back())
	if s.State() != StateIdle {
		t.Errorf("back from rate-only reached %s", s.State())
	}
	must(t, s.Start())
	must(t, s.OpenRate())
	must(t, s.Back())
	if s.State() != StateChoose {
		t.Errorf("back from rate-only opened in the catalog reached %s", s.State())
	}
	must(t, s.OpenRate())
	must(t, s.Rate(3))
	if r := rec.kinds(UpdateRated); len(r) != 1 || r[0].Rating != 3 || r[0].TrackingCode != "" {
		t.Errorf("rated %+v", r)
	}

	// Query by ID card: the card's data lives only as long as the result.
	s, _, _ = newSession(t)
	must(t, s.OpenQuery())
	if err := s.Lookup(QueryKey{Kind: QueryCode}); !errors.Is(err, ErrNoCode) {
		t.Errorf("empty lookup = %v", err)
	}
	card := synthIdentity(t)
	must(t, s.Lookup(QueryKey{Kind: QueryIDCard, Identity: card}))
	if k, ok := s.Query(); !ok || k.Identity != card {
		t.Fatal("query key not held")
	}
	must(t, s.Back())
	if card.IDNumber != "" {
		t.Error("the query card survived leaving the result")
	}
	if _, ok := s.Query(); ok {
		t.Error("query key kept")
	}

	// Notices from the catalog return to it.
	s, _, _ = driveTo(t, StateChoose)
	must(t, s.OpenNotices())
	must(t, s.Back())
	if s.State() != StateChoose {
		t.Errorf("back from notices reached %s", s.State())
	}
}

func TestResetRefusedWhileSubmitting(t *testing.T) {
	s, _, _ := driveTo(t, StateSubmitting)
	if err := s.Reset(); !errors.Is(err, ErrIllegal) {
		t.Errorf("Reset while submitting = %v; want illegal", err)
	}
	if s.Identity() == nil {
		t.Error("data wiped while the submitter reads it")
	}
}

func TestUpdatesOrderedAndReentrant(t *testing.T) {
	clk := newClock()
	var s *Session
	var seqs []uint64
	var states []State
	s = New(Options{Clock: clk, OnUpdate: func(u Update) {
		seqs = append(seqs, u.Seq)
		// Reading the session from the callback must not deadlock.
		states = append(states, s.State())
	}})
	must(t, s.Start())
	must(t, s.Choose(svc("noform")))
	must(t, s.Home())
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("sequence numbers %v", seqs)
		}
	}
	if len(states) == 0 || states[len(states)-1] != StateIdle {
		t.Errorf("states seen from the callback %v", states)
	}
}

// The UI acts while the timer ticks: the race detector checks the locking.
func TestConcurrentTickAndUse(t *testing.T) {
	s, clk, _ := newSession(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			clk.Advance(7 * time.Second)
			s.Tick()
		}
	}()
	for range 50 {
		_ = s.Start()
		_ = s.Choose(svc("full"))
		_ = s.Begin()
		_ = s.Identify(synthIdentity(t))
		if f := s.Form(); f != nil {
			_ = f.Set("phone", "13912345678")
		}
		_ = s.FormDone()
		_ = s.AddScan("register", []byte("p"))
		s.Touch()
		_ = s.Home()
		_ = s.ConfirmHome()
	}
	cancel()
	wg.Wait()
}

func TestRunTicks(t *testing.T) {
	clk := newClock()
	warned := make(chan struct{}, 1)
	s := New(Options{Clock: clk, IdleTimeout: idleTimeout, WarningTime: warningTime, OnUpdate: func(u Update) {
		if u.Kind == UpdateWarning {
			warned <- struct{}{}
		}
	}})
	must(t, s.Start())
	clk.Advance(idleTimeout)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx, time.Millisecond); close(done) }()
	select {
	case <-warned:
	case <-time.After(10 * time.Second):
		t.Fatal("Run never ticked")
	}
	cancel()
	<-done
}

// FuzzEvents drives the session with arbitrary sequences of events and clock steps and
// checks what must always hold: the state is known, idle holds nothing personal, every
// refused event is a *TransitionError or one of the documented refusals, and the way home
// is open wherever a resident can act.
func FuzzEvents(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 5, 7, 8, 9, 10, 15, 16})
	f.Add([]byte{0, 1, 2, 3, 18, 18, 19, 200, 201})
	f.Add([]byte{22, 23, 17, 24, 25, 21, 250})
	f.Fuzz(func(t *testing.T, steps []byte) {
		s, clk, _ := newSession(t)
		services := []string{"full", "noscan", "noform", "anon", "counter"}
		for i, b := range steps {
			if b >= 200 {
				clk.Advance(time.Duration(b-199) * 7 * time.Second)
				s.Tick()
			} else {
				ev := Events[int(b)%len(Events)]
				var err error
				switch ev {
				case EventChoose:
					err = s.Choose(svc(services[i%len(services)]))
				case EventScan:
					err = s.AddScan([]string{"register", "letter"}[i%2], []byte{b})
				default:
					err = fire(t, s, ev)
				}
				var te *TransitionError
				if err != nil && !errors.As(err, &te) && !errors.Is(err, ErrIdentityRequired) &&
					!errors.Is(err, ErrCounterOnly) && !errors.Is(err, ErrMaterialsMissing) &&
					!errors.Is(err, form.ErrInvalid) && !errors.Is(err, ErrTooManyPages) {
					t.Fatalf("step %d %s: unexpected error %v", i, ev, err)
				}
			}
			st := s.State()
			if _, known := table[st]; !known {
				t.Fatalf("unknown state %q", st)
			}
			if st == StateIdle && (s.Identity() != nil || s.Form() != nil || s.Service() != nil || s.TrackingCode() != "") {
				t.Fatalf("step %d: idle holds visit data", i)
			}
			if st != StateSubmitting && st != StatePrinting && !Accepts(st, EventHome) {
				t.Fatalf("%s has no way home", st)
			}
		}
	})
}

func TestSetTimeouts(t *testing.T) {
	tests := []struct {
		name          string
		idle, warning time.Duration
		wantIdle      time.Duration
		wantWarning   time.Duration
	}{
		{"longer", 2 * idleTimeout, 3 * warningTime, 2 * idleTimeout, 3 * warningTime},
		{"shorter", idleTimeout / 2, warningTime / 2, idleTimeout / 2, warningTime / 2},
		{"zero takes the defaults", 0, 0, DefaultIdleTimeout, DefaultWarningTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clk, rec := driveTo(t, StateChoose)
			s.SetTimeouts(tt.idle, tt.warning)
			if got := s.Remaining(); got != tt.wantIdle {
				t.Errorf("Remaining right after = %v, want %v", got, tt.wantIdle)
			}
			clk.Advance(tt.wantIdle - time.Millisecond)
			s.Tick()
			if s.State() != StateChoose {
				t.Fatalf("warned %v before the new timeout", time.Millisecond)
			}
			clk.Advance(time.Millisecond)
			s.Tick()
			if s.State() != StateWarning {
				t.Fatalf("state %s at the new timeout; want the warning", s.State())
			}
			if w := rec.kinds(UpdateWarning); len(w) != 1 || w[0].Remaining != tt.wantWarning {
				t.Errorf("warning updates %+v, want one of %v", w, tt.wantWarning)
			}
		})
	}
}

func TestSetTimeoutsKeepsARunningCountdown(t *testing.T) {
	s, clk, _ := driveTo(t, StateChoose)
	clk.Advance(idleTimeout)
	s.Tick()
	if s.State() != StateWarning {
		t.Fatalf("state %s; want the warning", s.State())
	}
	s.SetTimeouts(idleTimeout, 10*warningTime)
	clk.Advance(warningTime)
	s.Tick()
	if s.State() != StateIdle {
		t.Errorf("state %s; the announced countdown was stretched", s.State())
	}
}

// TestIdentifyChecksEligibility: right after identification the service's rules are
// checked on the trusted clock's date; a refused resident's data is wiped and the
// session stays at identification with the reason and where to go instead.
func TestIdentifyChecksEligibility(t *testing.T) {
	born := func(y int) *identity.Identity {
		id := synthIdentity(t)
		first := fmt.Sprintf("990101%04d0607124", y)
		c, _ := identity.CheckDigit(first)
		id.IDNumber, id.Birth = first+string(c), identity.Date{Year: y, Month: 6, Day: 7}
		return id
	}
	foreign := born(1930)
	foreign.CardType = identity.ForeignerPermanent2023
	tests := []struct {
		name string
		id   *identity.Identity
		why  catalog.Why // "" means accepted
	}{
		{"born 1985", born(1985), catalog.TooYoung},
		{"born 1940", born(1940), ""},
		{"born 1930 on a foreigner card", foreign, catalog.WrongCard},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			// The session's clock is far off; the trusted date decides.
			trusted := &fakeClock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
			s := New(Options{Clock: clk, Date: trusted})
			must(t, s.Start())
			must(t, s.Choose(svc("elders")))
			must(t, s.Begin())
			err := s.Identify(tt.id)
			if tt.why == "" {
				if err != nil || s.State() != StateForm {
					t.Fatalf("Identify = %v, state %s; want accepted", err, s.State())
				}
				return
			}
			var ie *catalog.IneligibleError
			if !errors.Is(err, catalog.ErrIneligible) || !errors.As(err, &ie) || ie.Why != tt.why {
				t.Fatalf("Identify = %v; want refused for %s", err, tt.why)
			}
			if ie.Elsewhere.Zh == "" {
				t.Error("no word on where to go instead")
			}
			if s.State() != StateIdentify || s.Identity() != nil || tt.id.Name != "" {
				t.Errorf("refused: state %s, identity kept %v, wiped %v", s.State(), s.Identity() != nil, tt.id.Name == "")
			}
		})
	}
}

// TestPageCounts: a material with a page count (a household register of 2 pages) with
// fewer pages scanned does not go through; MaterialsDone says which material has how
// many of how many. Going on with fewer pages works only where the item allows that many
// (min_pages), and the draft records it.
func TestPageCounts(t *testing.T) {
	toMaterials := func(t *testing.T, svcID string) *Session {
		s, _, _ := newSession(t)
		must(t, s.Start())
		must(t, s.Choose(svc(svcID)))
		must(t, s.Begin())
		must(t, s.Identify(synthIdentity(t)))
		if s.State() == StateForm {
			must(t, s.Form().Set("phone", "13912345678"))
			must(t, s.FormDone())
		}
		if s.State() != StateMaterials {
			t.Fatalf("at %s; want materials", s.State())
		}
		return s
	}
	short := func(t *testing.T, err error) *MissingError {
		t.Helper()
		var e *MissingError
		if !errors.As(err, &e) || !errors.Is(err, ErrMaterialsMissing) {
			t.Fatalf("got %v; want a *MissingError", err)
		}
		return e
	}

	t.Run("household register 1 of 2", func(t *testing.T) {
		s := toMaterials(t, "full")
		must(t, s.AddScan("register", []byte("p1")))
		e := short(t, s.MaterialsDone())
		if len(e.Materials) != 0 || len(e.Short) != 1 || e.Short[0] != (Shortfall{MaterialID: "register", Scanned: 1, Want: 2, Min: 2}) || e.CanGoOn() {
			t.Errorf("MaterialsDone = %+v; want register 1 of 2, not allowed", e)
		}
		short(t, s.GoOnWithFewerPages())
		if s.State() != StateMaterials {
			t.Fatalf("went on to %s with 1 of 2 pages", s.State())
		}
		must(t, s.AddScan("register", []byte("p2")))
		must(t, s.MaterialsDone())
	})
	t.Run("lease 2 of 4 where 2 will do", func(t *testing.T) {
		s := toMaterials(t, "lease")
		must(t, s.AddScan("lease", []byte("p1")))
		if e := short(t, s.GoOnWithFewerPages()); e.CanGoOn() {
			t.Errorf("1 page of a lease that needs 2 may go on: %+v", e)
		}
		must(t, s.AddScan("lease", []byte("p2")))
		e := short(t, s.MaterialsDone())
		if !e.CanGoOn() || len(e.Short) != 1 || e.Short[0].Scanned != 2 || e.Short[0].Want != 4 {
			t.Fatalf("MaterialsDone = %+v; want lease 2 of 4, allowed", e)
		}
		must(t, s.GoOnWithFewerPages())
		must(t, s.Confirm())
		d, err := s.Draft()
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Short) != 1 || d.Short[0] != (Shortfall{MaterialID: "lease", Scanned: 2, Want: 4, Min: 2}) {
			t.Errorf("draft records %+v; want the lease's 2 of 4 pages", d.Short)
		}
	})
	t.Run("a shortfall is forgotten once the pages are complete", func(t *testing.T) {
		s := toMaterials(t, "lease")
		must(t, s.AddScan("lease", []byte("p1")))
		must(t, s.AddScan("lease", []byte("p2")))
		must(t, s.GoOnWithFewerPages())
		must(t, s.Back())
		must(t, s.AddScan("lease", []byte("p3")))
		must(t, s.AddScan("lease", []byte("p4")))
		must(t, s.MaterialsDone())
		must(t, s.Confirm())
		if d, _ := s.Draft(); len(d.Short) != 0 {
			t.Errorf("draft records %+v after all 4 pages", d.Short)
		}
	})
}
