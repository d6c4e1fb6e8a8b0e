package touch

import (
	"slices"
	"testing"
	"unicode/utf8"
)

func TestWrapWhole(t *testing.T) {
	// Each rune is 1 wide.
	measure := func(s string) float32 { return float32(utf8.RuneCountInString(s)) }
	for _, c := range []struct {
		text  string
		width float32
		want  []string
		ok    bool
	}{
		{"选择事项，刷身份证办理", 20, []string{"选择事项，刷身份证办理"}, true},
		{"选择事项，刷身份证办理", 8, []string{"选择事项，", "刷身份证办理"}, true},
		{"选择事项，刷身份证办理", 5, nil, false},
		{"凭回执编号\u200b或身份证查询", 7, []string{"凭回执编号", "或身份证查询"}, true},
		{"凭回执编号\u200b或身份证查询", 20, []string{"凭回执编号或身份证查询"}, true},
		{"对办理过的事项打分", 5, nil, false},
		{"Choose a service and use your ID card", 20, []string{"Choose a service and", "use your ID card"}, true},
		{"Tell us how we did", 3, nil, false},
		{"", 10, nil, true},
	} {
		got, ok := wrapWhole(c.text, c.width, measure)
		if ok != c.ok || !slices.Equal(got, c.want) {
			t.Errorf("wrapWhole(%q, %v) = %q, %v; want %q, %v", c.text, c.width, got, ok, c.want, c.ok)
		}
	}
}
