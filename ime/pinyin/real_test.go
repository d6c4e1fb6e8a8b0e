package pinyin

import (
	"errors"
	"os"
	"sync"
	"testing"
)

var (
	realOnce sync.Once
	realDict *Dict
	realErr  error
)

// installedDict loads Debian's pinyin_simp dictionary. scripts/install-deps installs it for
// tests; where it is missing the test is skipped, except when the suite is run as required
// (make test), where a missing package is a failure.
func installedDict(t testing.TB) *Dict {
	t.Helper()
	realOnce.Do(func() { realDict, realErr = Load(DefaultDictPath) })
	if errors.Is(realErr, ErrNoDictionary) && os.Getenv("GOVKIOSK_E2E") != "required" {
		t.Skip("rime-data-pinyin-simp not installed (scripts/install-deps test)")
	}
	if realErr != nil {
		t.Fatal(realErr)
	}
	return realDict
}

func TestInstalledDictionary(t *testing.T) {
	d := installedDict(t)
	tests := []struct{ in, want string }{
		{"jingyingfanwei", "经营范围"},
		{"jyfw", "经营范围"},
		{"jingyfw", "经营范围"},
		{"riyongbaihuolingshou", "日用百货零售"},
		{"xi'an", "西安"},
		{"youjidizhi", "邮寄地址"},
		{"lvse", "绿色"},
		{"nvxing", "女性"},
		{"zhonghuarenmingongheguo", "中华人民共和国"},
	}
	for _, tt := range tests {
		got := NewSession(d).Candidates(tt.in, 5)
		if len(got) == 0 || got[0].Text != tt.want {
			t.Errorf("%s: got %v, want %s first", tt.in, texts(got), tt.want)
		}
	}
}
