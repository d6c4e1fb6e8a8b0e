package touch

import (
	"strings"
	"unicode"
)

// breakAfter are the marks a Chinese line may break after. Chinese has no spaces, and
// Fyne's word wrap, finding none, cut a subtitle anywhere: 身份/证办理, 打/分.
const breakAfter = "，、；：。！？）,;:!?)"

// zwsp, the zero-width space, marks where a text without punctuation may break
// ("凭回执编号\u200b或身份证查询" in a translation). It is never drawn.
const zwsp = '\u200b'

// chunks splits text where a line may break: after a space, one of breakAfter or a
// zero-width space. The pieces joined give the text back.
func chunks(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if unicode.IsSpace(r) || r == zwsp || strings.ContainsRune(breakAfter, r) {
			end := i + len(string(r))
			out = append(out, s[start:end])
			start = end
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// wrapWhole packs text into lines no wider than width, breaking only between chunks.
// It reports false when one chunk alone is wider: such text is better left out than cut
// in the middle of a word.
func wrapWhole(text string, width float32, measure func(string) float32) ([]string, bool) {
	var lines []string
	line := ""
	for _, c := range chunks(text) {
		c = strings.ReplaceAll(c, string(zwsp), "")
		if try := line + c; measure(strings.TrimRightFunc(try, unicode.IsSpace)) <= width {
			line = try
			continue
		}
		if line != "" {
			lines = append(lines, strings.TrimRightFunc(line, unicode.IsSpace))
		}
		if measure(strings.TrimRightFunc(c, unicode.IsSpace)) > width {
			return nil, false
		}
		line = c
	}
	if line = strings.TrimRightFunc(line, unicode.IsSpace); line != "" {
		lines = append(lines, line)
	}
	return lines, true
}
