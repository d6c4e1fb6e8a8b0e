package touch

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
)

// TestLockedBadgeNeverOverlapsTheValue lays out a field filled from the ID card (locked,
// with its "read from the ID card" badge) at widths from a narrow column to a full one,
// in normal and elder mode: the value's text, the badge's icon and words never overlap,
// and the value stays inside its box.
func TestLockedBadgeNeverOverlapsTheValue(t *testing.T) {
	th := newTheme(t)
	values := []string{"990101199001010019", "测试省样例市示范区幸福路88号院3号楼2单元1101室"}
	for _, elder := range []bool{false, true} {
		th.SetElder(elder)
		for _, v := range values {
			for _, w := range []float32{360, 480, 640, 900, 1200} {
				f := NewField("户籍地址", nil)
				f.Value, f.Locked, f.LockedNote = v, true, "已从身份证读取"
				f.Refresh()
				f.Resize(fyne.NewSize(w, 1))                  // a layout gives the width first,
				f.Resize(fyne.NewSize(w, f.MinSize().Height)) // then the height it needs at it
				r := test.WidgetRenderer(f).(*fieldRenderer)
				r.Layout(f.Size())
				value := drawn(r.value)
				if r.value.Hidden {
					value = rect{r.long.Position(), r.long.Size()}
				}
				for name, o := range map[string]fyne.CanvasObject{"badge": r.note, "icon": r.lock} {
					if overlap(value, rect{o.Position(), o.Size()}) {
						t.Errorf("elder=%v width %v: the value %q (%v) overlaps the %s (%v %v)", elder, w, v, value, name, o.Position(), o.Size())
					}
				}
				box := rect{r.box.Position(), r.box.Size()}
				if value.pos.X+value.size.Width > box.pos.X+box.size.Width || value.pos.Y+value.size.Height > box.pos.Y+box.size.Height {
					t.Errorf("elder=%v width %v: the value %q (%v) runs out of its box (%v)", elder, w, v, value, box)
				}
				if f.MinSize().Height > f.Size().Height+0.5 {
					t.Errorf("elder=%v width %v: the field needs %v, more than it was given", elder, w, f.MinSize())
				}
			}
		}
	}
}

type rect struct {
	pos  fyne.Position
	size fyne.Size
}

// drawn is where a text is drawn: canvas.Text draws its whole string from its position,
// whatever its size.
func drawn(t *canvas.Text) rect {
	return rect{t.Position(), fyne.NewSize(max(t.Size().Width, t.MinSize().Width), t.MinSize().Height)}
}

func overlap(a, b rect) bool {
	return a.pos.X < b.pos.X+b.size.Width && b.pos.X < a.pos.X+a.size.Width &&
		a.pos.Y < b.pos.Y+b.size.Height && b.pos.Y < a.pos.Y+a.size.Height
}

// TestLongPlaceholderStaysInItsBox: a search field's hint in elder mode on a narrow column
// wraps inside the box instead of running under the button beside it.
func TestLongPlaceholderStaysInItsBox(t *testing.T) {
	th := newTheme(t)
	th.SetElder(true)
	f := NewField("", nil)
	f.Placeholder = "点这里搜索：输入拼音首字母，如 HJ"
	f.Refresh()
	f.Resize(fyne.NewSize(500, 1))
	f.Resize(fyne.NewSize(500, f.MinSize().Height))
	r := test.WidgetRenderer(f).(*fieldRenderer)
	r.Layout(f.Size())
	shown := drawn(r.value)
	if r.value.Hidden {
		shown = rect{r.long.Position(), r.long.Size()}
	}
	if shown.pos.X+shown.size.Width > f.Size().Width {
		t.Errorf("the placeholder (%v) runs past its %v-wide box", shown, f.Size().Width)
	}
}
