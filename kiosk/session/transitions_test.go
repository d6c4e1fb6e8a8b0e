package session

import (
	"errors"
	"slices"
	"testing"

	"github.com/govkiosk/govkiosk/kiosk/form"
)

// outcome is what an event does in a state: the state after it, and the error a legal
// event may still return (the state then stays).
type outcome struct {
	to  State
	err error
}

// table is every legal (state, event) pair and its outcome, reached by driveTo and fire.
// Every pair not listed must be refused with a *TransitionError.
var table = map[State]map[Event]outcome{
	StateIdle: {
		EventStart: {to: StateChoose}, EventHome: {to: StateIdle}, EventOpenQuery: {to: StateQuery},
		EventOpenRate: {to: StateRate}, EventOpenNotices: {to: StateNotices},
	},
	StateChoose: {
		EventChoose: {to: StateGuide}, EventBack: {to: StateIdle}, EventHome: {to: StateIdle},
		EventTimeout: {to: StateWarning}, EventOpenQuery: {to: StateQuery}, EventOpenRate: {to: StateRate},
		EventOpenNotices: {to: StateNotices},
	},
	StateGuide: {
		EventBegin: {to: StateIdentify}, EventBack: {to: StateChoose}, EventHome: {to: StateIdle},
		EventTimeout: {to: StateWarning},
	},
	StateIdentify: {
		EventIdentify: {to: StateForm}, EventSkipIdentify: {to: StateIdentify, err: ErrIdentityRequired},
		EventBack: {to: StateGuide}, EventHome: {to: StateIdle}, EventTimeout: {to: StateWarning},
	},
	StateForm: {
		EventFormDone: {to: StateMaterials}, EventBack: {to: StateIdentify}, EventHome: {to: StateConfirmHome},
		EventTimeout: {to: StateWarning},
	},
	StateMaterials: {
		EventScan: {to: StateMaterials}, EventMaterialsDone: {to: StateMaterials, err: ErrMaterialsMissing},
		EventBack: {to: StateForm}, EventHome: {to: StateConfirmHome}, EventTimeout: {to: StateWarning},
	},
	StateArrange: {
		EventArrange: {to: StateArrange}, EventArrangeDone: {to: StateReview}, EventBack: {to: StateIdentify},
		EventHome: {to: StateIdle}, EventTimeout: {to: StateWarning},
	},
	StateReview: {
		EventConfirm: {to: StateSubmitting}, EventBack: {to: StateMaterials}, EventHome: {to: StateConfirmHome},
		EventTimeout: {to: StateWarning},
	},
	StateSubmitting: {
		EventSubmitted: {to: StatePrinting}, EventSubmitFailed: {to: StateSubmitFailed},
	},
	StateSubmitFailed: {
		EventRetry: {to: StateSubmitting}, EventBack: {to: StateReview}, EventHome: {to: StateConfirmHome},
		EventTimeout: {to: StateWarning},
	},
	StatePrinting: {
		EventPrinted: {to: StateReceipt},
	},
	StateReceipt: {
		EventReprint: {to: StatePrinting}, EventFinish: {to: StateRate}, EventHome: {to: StateIdle},
		EventTimeout: {to: StateWarning},
	},
	StateRate: {
		EventRate: {to: StateWipe}, EventSkipRate: {to: StateWipe}, EventBack: {to: StateReceipt},
		EventHome: {to: StateIdle}, EventTimeout: {to: StateWarning},
	},
	StateWipe: {
		EventHome: {to: StateIdle}, EventTimeout: {to: StateIdle},
	},
	StateWarning: {
		EventStillHere: {to: StateChoose}, EventBack: {to: StateChoose}, EventHome: {to: StateIdle},
		EventTimeout: {to: StateIdle},
	},
	StateConfirmHome: {
		EventConfirmHome: {to: StateIdle}, EventBack: {to: StateForm}, EventHome: {to: StateIdle},
		EventTimeout: {to: StateWarning},
	},
	StateQuery: {
		EventLookup: {to: StateQueryResult}, EventBack: {to: StateIdle}, EventHome: {to: StateIdle},
		EventTimeout: {to: StateWarning},
	},
	StateQueryResult: {
		EventBack: {to: StateQuery}, EventHome: {to: StateIdle}, EventTimeout: {to: StateWarning},
	},
	StateNotices: {
		EventBack: {to: StateIdle}, EventHome: {to: StateIdle}, EventTimeout: {to: StateWarning},
	},
}

func TestTransitions(t *testing.T) {
	if len(table) != len(States) {
		t.Fatalf("table covers %d states of %d", len(table), len(States))
	}
	for _, st := range States {
		for _, ev := range Events {
			want, legal := table[st][ev]
			t.Run(string(st)+"/"+string(ev), func(t *testing.T) {
				if Accepts(st, ev) != legal {
					t.Errorf("Accepts = %v; the table says %v", !legal, legal)
				}
				s, _, _ := driveTo(t, st)
				err := fire(t, s, ev)
				if !legal {
					var te *TransitionError
					if !errors.As(err, &te) || !errors.Is(err, ErrIllegal) || te.State != st || te.Event != ev {
						t.Fatalf("err = %v; want *TransitionError{%s, %s}", err, st, ev)
					}
					if got := s.State(); got != st {
						t.Errorf("a refused event moved the session to %s", got)
					}
					return
				}
				if !errors.Is(err, want.err) || (want.err == nil && err != nil) {
					t.Fatalf("err = %v; want %v", err, want.err)
				}
				if got := s.State(); got != want.to {
					t.Errorf("to %s; want %s", got, want.to)
				}
			})
		}
	}
}

// TestNeverDeadEnds explores the live machine: from every state, some sequence of
// events leads back to idle, and Home is one of the first steps everywhere a resident
// can act.
func TestNeverDeadEnds(t *testing.T) {
	for _, start := range States {
		t.Run(string(start), func(t *testing.T) {
			type node struct {
				st   State
				path []Event
			}
			seen := map[State]bool{start: true}
			queue := []node{{start, nil}}
			found := start == StateIdle
			for len(queue) > 0 && !found {
				n := queue[0]
				queue = queue[1:]
				for _, ev := range Events {
					s, _, _ := driveTo(t, start)
					for _, p := range n.path {
						_ = fire(t, s, p)
					}
					if fire(t, s, ev) != nil {
						continue
					}
					st := s.State()
					if st == StateIdle {
						found = true
						break
					}
					if !seen[st] {
						seen[st] = true
						queue = append(queue, node{st, append(slices.Clip(n.path), ev)})
					}
				}
			}
			if !found {
				t.Errorf("no way from %s back to idle", start)
			}
			if start != StateSubmitting && start != StatePrinting && !Accepts(start, EventHome) {
				t.Errorf("%s has no home button", start)
			}
		})
	}
}

func TestStepsFollowTheService(t *testing.T) {
	tests := []struct {
		svc string
		// forward is the states after Begin, Identify, then "next" at each step.
		forward []State
	}{
		{"full", []State{StateIdentify, StateForm, StateMaterials, StateReview}},
		{"noscan", []State{StateIdentify, StateForm, StateReview}},
		{"noform", []State{StateIdentify, StateReview}},
	}
	for _, tt := range tests {
		t.Run(tt.svc, func(t *testing.T) {
			s, _, _ := newSession(t)
			must(t, s.Start())
			must(t, s.Choose(svc(tt.svc)))
			must(t, s.Begin())
			var got []State
			for s.State() != StateReview {
				got = append(got, s.State())
				switch s.State() {
				case StateIdentify:
					must(t, s.Identify(synthIdentity(t)))
				case StateForm:
					must(t, s.Form().Set("phone", "13912345678"))
					must(t, s.FormDone())
				case StateMaterials:
					must(t, s.AddScan("register", []byte("p1")))
					must(t, s.AddScan("register", []byte("p2")))
					must(t, s.MaterialsDone())
				}
			}
			got = append(got, StateReview)
			if !slices.Equal(got, tt.forward) {
				t.Fatalf("forward %v; want %v", got, tt.forward)
			}
			// Back retraces the same steps to the guide.
			for i := len(tt.forward) - 2; i >= 0; i-- {
				must(t, s.Back())
				if s.State() != tt.forward[i] {
					t.Fatalf("back reached %s; want %s", s.State(), tt.forward[i])
				}
			}
			must(t, s.Back())
			if s.State() != StateGuide {
				t.Errorf("back from the first step reached %s; want guide", s.State())
			}
		})
	}
}

func TestCounterOnly(t *testing.T) {
	s, _, _ := newSession(t)
	must(t, s.Start())
	must(t, s.Choose(svc("counter")))
	if err := s.Begin(); !errors.Is(err, ErrCounterOnly) {
		t.Fatalf("Begin = %v; want ErrCounterOnly", err)
	}
	if s.State() != StateGuide || s.Form() != nil {
		t.Errorf("state %s, form %v: want to stay on the guide with nothing started", s.State(), s.Form())
	}
	if err := s.Choose(nil); !errors.Is(err, ErrIllegal) {
		t.Errorf("Choose on the guide = %v; want illegal", err)
	}
}

func TestOptionalIdentity(t *testing.T) {
	s, _, _ := newSession(t)
	must(t, s.Start())
	must(t, s.Choose(svc("anon")))
	must(t, s.Begin())
	must(t, s.SkipIdentify())
	if s.State() != StateForm || s.Identity() != nil || !s.IdentitySkipped() {
		t.Fatalf("after skip: state %s identity %v skipped %v", s.State(), s.Identity(), s.IdentitySkipped())
	}
	must(t, s.Back())
	// Identifying after all replaces the skip.
	must(t, s.Identify(synthIdentity(t)))
	if s.Identity() == nil || s.IdentitySkipped() {
		t.Error("identifying after a skip did not take")
	}
	if err := s.FormDone(); !errors.Is(err, form.ErrInvalid) {
		t.Errorf("FormDone on an empty required field = %v; want form.ErrInvalid", err)
	}
	if s.State() != StateForm {
		t.Errorf("an invalid form moved on to %s", s.State())
	}
}

func TestChooseNil(t *testing.T) {
	s, _, _ := driveTo(t, StateChoose)
	if err := s.Choose(nil); !errors.Is(err, ErrNoService) {
		t.Errorf("Choose(nil) = %v; want ErrNoService", err)
	}
}
