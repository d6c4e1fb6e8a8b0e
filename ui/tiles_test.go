package ui_test

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/ui/touch"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestHomeTilesKeepIconsAndWholeWords: on every display, in zh, en and elder mode, a start
// screen tile's subtitle breaks only between words (elder mode cut 身份/证办理 and 打/分),
// and never takes the icon's place (at 1280×800 in English two of the four tiles had
// lost their icons to a subtitle wrapped onto a second line).
func TestHomeTilesKeepIconsAndWholeWords(t *testing.T) {
	for _, d := range displays {
		for _, m := range visitModes {
			t.Run(d.name+"/"+m.name, func(t *testing.T) {
				k := uitest.Start(t, uitest.Options{Fonts: true, Size: d.size})
				if m.elder {
					k.Tap("home.elder")
				}
				if m.en {
					k.Tap("home.lang")
				}
				k.Drain()
				icons := 0
				for _, id := range []string{"home.apply", "home.track", "home.rate", "home.notices"} {
					tile := k.App.Element(id).(*touch.Tile)
					objs := test.WidgetRenderer(tile).Objects()
					icon, sub := objs[1], objs[3].(*widget.RichText)
					if icon.Visible() {
						icons++
					}
					if !sub.Visible() {
						continue
					}
					if !icon.Visible() {
						t.Errorf("%s: the subtitle is shown and the icon is not", id)
					}
					var lines []string
					for _, o := range test.WidgetRenderer(sub).Objects() {
						if tx, ok := o.(*canvas.Text); ok && tx.Text != "" {
							lines = append(lines, tx.Text)
						}
					}
					raw := tile.Subtitle
					plain := strings.ReplaceAll(raw, "\u200b", "")
					if got := strings.Join(lines, ""); strings.ReplaceAll(got, " ", "") != strings.ReplaceAll(plain, " ", "") {
						t.Errorf("%s: the subtitle is drawn as %q, not %q", id, lines, plain)
						continue
					}
					for i := 0; i+1 < len(lines); i++ {
						a, b := []rune(lines[i]), []rune(lines[i+1])
						last, first := string(a[len(a)-1]), string(b[0])
						if !strings.Contains(plain, last+" "+first) && !strings.Contains(raw, last+"\u200b"+first) &&
							!strings.Contains("，、；：。！？）,;:!?)", last) {
							t.Errorf("%s: the subtitle breaks inside a word: %q", id, lines)
						}
					}
				}
				if icons != 0 && icons != 4 {
					t.Errorf("%d of the 4 tiles show their icon", icons)
				}
			})
		}
	}
}
