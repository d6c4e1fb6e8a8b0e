package speech

import (
	"errors"
	"testing"
	"time"
)

func TestCheckRefusesPersonalData(t *testing.T) {
	for _, text := range []string{
		"请核对身份证号 990101199001011234",
		"身份证号码 99010119900101123X",
		"您好，{{.Name}}",
		"电话 13800138000",
		"尾号 1234",
		"   ",
	} {
		if err := Check(text); !errors.Is(err, ErrPersonal) {
			t.Errorf("Check(%q) = %v, want ErrPersonal", text, err)
		}
	}
	for _, text := range []string{"第 1 / 3 页", "请在 90 秒内操作", "Please place your ID card on the reader", "X-ray"} {
		if err := Check(text); err != nil {
			t.Errorf("Check(%q) = %v", text, err)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("请将身份证放在读卡区")
	f.Add("990101199001011234")
	f.Fuzz(func(t *testing.T, s string) {
		if Check(s) != nil {
			return
		}
		// Whatever passes has no four digits in a row.
		run := 0
		for _, r := range s {
			if r >= '0' && r <= '9' {
				run++
				if run >= 4 {
					t.Fatalf("%q passed with a run of digits", s)
				}
			} else {
				run = 0
			}
		}
	})
}

func TestStepsAndQuietHours(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 1, 1, h, m, 0, 0, time.UTC) }
	for _, tc := range []struct {
		spec string
		t    time.Time
		in   bool
	}{
		{"22:00-07:00", at(23, 0), true},
		{"22:00-07:00", at(6, 59), true},
		{"22:00-07:00", at(7, 0), false},
		{"22:00-07:00", at(12, 0), false},
		{"12:00-13:30", at(13, 0), true},
		{"12:00-13:30", at(13, 30), false},
		{"", at(23, 0), false},
	} {
		q, err := ParseQuietHours(tc.spec, Quiet)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.In(tc.t); got != tc.in {
			t.Errorf("%q at %s: %v, want %v", tc.spec, tc.t.Format("15:04"), got, tc.in)
		}
		if q.String() != tc.spec {
			t.Errorf("String() = %q, want %q", q.String(), tc.spec)
		}
	}
	for _, bad := range []string{"22:00", "25:00-07:00", "ten-eleven"} {
		if _, err := ParseQuietHours(bad, Quiet); err == nil {
			t.Errorf("ParseQuietHours(%q) accepted", bad)
		}
	}
	if _, err := ParseQuietHours("22:00-07:00", 4); err == nil {
		t.Error("quiet volume 4 accepted")
	}
	q, _ := ParseQuietHours("22:00-07:00", Quiet)
	if g := q.Gain(Loud, at(23, 0)); g != Quiet.Gain() {
		t.Errorf("loud at night: gain %.2f, want %.2f", g, Quiet.Gain())
	}
	if g := q.Gain(Loud, at(12, 0)); g != 1 {
		t.Errorf("loud at noon: gain %.2f", g)
	}
	if Step(0).Gain() != 0 || Step(9).Clamp() != Loud || Step(-1).Clamp() != Quiet {
		t.Error("step bounds")
	}
	if !(Quiet.Gain() < Medium.Gain() && Medium.Gain() < Loud.Gain()) {
		t.Error("steps not increasing")
	}
}
