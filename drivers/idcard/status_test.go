package idcard

import (
	"errors"
	"strings"
	"testing"
)

func TestStatusErrors(t *testing.T) {
	groups := []error{ErrSAMFault, ErrCardFault, ErrRejected}
	cases := []struct {
		status Status
		err    error
		group  error // nil: in no group
	}{
		{StatusNoContent, ErrNoContent, nil},
		{StatusBadChecksum, ErrCommandChecksum, ErrRejected},
		{StatusBadLength, ErrCommandLength, ErrRejected},
		{StatusBadCommand, ErrUnknownCommand, ErrRejected},
		{StatusUnauthorised, ErrUnauthorised, ErrRejected},
		{StatusUnknownError, ErrReaderError, nil},
		{StatusCardAuthSAM, ErrCardAuthSAM, ErrCardFault},
		{StatusSAMAuthCard, ErrSAMAuthCard, ErrCardFault},
		{StatusInfoVerify, ErrInfoVerify, ErrCardFault},
		{StatusCardType, ErrCardType, ErrCardFault},
		{StatusReadFailed, ErrReadFailed, ErrCardFault},
		{StatusRandom, ErrRandom, ErrCardFault},
		{StatusSelfTest, ErrSAMSelfTest, ErrSAMFault},
		{StatusNotAuthorised, ErrSAMNotAuthorised, ErrSAMFault},
		{StatusNoCard, ErrNoCard, nil},
		{StatusSelectFailed, ErrSelectFailed, ErrCardFault},
		{Status(0x55), ErrUnknownStatus, nil},
	}
	seen := map[error]Status{}
	for _, c := range cases {
		t.Run(c.status.String(), func(t *testing.T) {
			err := Response{SW1: 0x6A, SW2: 0x82, Status: c.status}.Err(OpReadText)
			if !errors.Is(err, c.err) {
				t.Fatalf("%v does not match %v", err, c.err)
			}
			for _, g := range groups {
				if errors.Is(err, g) != (g == c.group) {
					t.Errorf("errors.Is(%v, %v) = %v", err, g, errors.Is(err, g))
				}
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Status != c.status || se.Op != OpReadText || se.SW1 != 0x6A || se.SW2 != 0x82 {
				t.Fatalf("not the StatusError expected: %#v", se)
			}
			if msg := err.Error(); !strings.Contains(msg, "read card") || !strings.Contains(msg, c.status.String()) {
				t.Errorf("message %q names neither command nor status", msg)
			}
			if prev, dup := seen[c.err]; dup {
				t.Errorf("%v and %v share an error", prev, c.status)
			}
			seen[c.err] = c.status
		})
	}
}

func TestStatusSuccess(t *testing.T) {
	for _, s := range []Status{StatusOK, StatusCardFound} {
		if !s.OK() || (Response{Status: s}).Err(OpFindCard) != nil {
			t.Errorf("%v is not success", s)
		}
	}
	for s := range statusTable {
		if s.OK() {
			t.Errorf("%v is an error code and OK", s)
		}
	}
}
