package a11y

import (
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

// The figures, in px at Fyne scale 1 (see the package comment for the scaling).
const (
	ElderTarget  = 60
	NormalTarget = 44
	ElderMinText = 32
	// LargeText is WCAG's "large" text: 18 pt, or 14 pt bold (24 and 18.67 px).
	LargeText     = 24
	LargeBoldText = 18.67
	MinContrast   = 4.5
	MinContrastLg = 3
)

// Kind names a finding.
type Kind string

const (
	SmallTarget Kind = "small tap target"
	LowContrast Kind = "low contrast"
	SmallText   Kind = "small text"
	Clipped     Kind = "clipped"
)

// Finding is one failure.
type Finding struct {
	Kind Kind
	// What says which object: its type and, for text, the words.
	What   string
	Pos    fyne.Position
	Size   fyne.Size
	Detail string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s: %s at (%.0f,%.0f) %.0f×%.0f: %s", f.Kind, f.What, f.Pos.X, f.Pos.Y, f.Size.Width, f.Size.Height, f.Detail)
}

// Options say what to check against.
type Options struct {
	Elder bool
	// Background is the window's colour, under everything.
	Background color.Color
}

// node is an object on the walk, with its absolute rectangle.
type node struct {
	obj  fyne.CanvasObject
	pos  fyne.Position
	size fyne.Size
}

// paint is a filled rectangle already painted, in paint order.
type paint struct {
	pos  fyne.Position
	size fyne.Size
	fill color.Color
}

type checker struct {
	o      Options
	win    fyne.Size
	out    []Finding
	paints []paint
}

// tolerance absorbs float rounding in layouts.
const tolerance = 1

// Check walks root, laid out at size win, and returns every finding.
func Check(root fyne.CanvasObject, win fyne.Size, o Options) []Finding {
	c := &checker{o: o, win: win}
	if o.Background == nil {
		o.Background = color.White
	}
	c.paints = append(c.paints, paint{size: win, fill: o.Background})
	c.walk(root, fyne.Position{}, nil, nil, false)
	return c.out
}

// walk visits o (whose parent's absolute position is at) in paint order. parents are the
// ancestors, nearest last; clip is the nearest scroll's viewport, if any.
func (c *checker) walk(o fyne.CanvasObject, at fyne.Position, parents []node, clip *node, disabled bool) {
	if o == nil || !o.Visible() {
		return
	}
	n := node{obj: o, pos: at.Add(o.Position()), size: o.Size()}
	if n.size.Width <= 0 || n.size.Height <= 0 {
		if _, ok := o.(*fyne.Container); !ok {
			return
		}
	}
	if clip != nil && !overlaps(n, *clip) {
		return // scrolled out of view: not on screen at all
	}
	if d, ok := o.(fyne.Disableable); ok && d.Disabled() {
		disabled = true
	}
	c.checkClipping(n, parents, clip)
	switch v := o.(type) {
	case *canvas.Rectangle:
		if v.FillColor != nil {
			// In a scroll, only the part in the viewport is painted: what is scrolled
			// away is not under the texts drawn next to the scroll area.
			r := n
			if clip != nil {
				r = intersect(n, *clip)
			}
			if _, _, _, a := v.FillColor.RGBA(); a > 0 && r.size.Width > 0 && r.size.Height > 0 {
				c.paints = append(c.paints, paint{pos: r.pos, size: r.size, fill: v.FillColor})
			}
		}
	case *canvas.Text:
		c.checkText(v, n, clip, disabled)
	}
	if t, ok := o.(fyne.Tappable); ok && !disabled && !scrollBarPart(o) {
		c.checkTarget(n, t)
	}
	var children []fyne.CanvasObject
	switch v := o.(type) {
	case *fyne.Container:
		children = v.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(v).Objects()
	}
	if _, ok := o.(*container.Scroll); ok {
		cl := n
		if clip != nil {
			cl = intersect(n, *clip)
		}
		clip = &cl
	}
	parents = append(parents, n)
	for _, ch := range children {
		c.walk(ch, n.pos, parents, clip, disabled)
	}
}

// scrollBarPart reports whether o is a piece of Fyne's scroll bar. Tapping the bar's
// track pages the content, but a resident scrolls by dragging the content itself: the bar
// only shows where they are, so it is not held to the tap-target size.
func scrollBarPart(o fyne.CanvasObject) bool {
	return strings.Contains(fmt.Sprintf("%T", o), "widget.scrollBar")
}

func overlaps(a, b node) bool {
	return a.pos.X < b.pos.X+b.size.Width && b.pos.X < a.pos.X+a.size.Width &&
		a.pos.Y < b.pos.Y+b.size.Height && b.pos.Y < a.pos.Y+a.size.Height
}

func intersect(a, b node) node {
	x0, y0 := max(a.pos.X, b.pos.X), max(a.pos.Y, b.pos.Y)
	x1 := min(a.pos.X+a.size.Width, b.pos.X+b.size.Width)
	y1 := min(a.pos.Y+a.size.Height, b.pos.Y+b.size.Height)
	return node{pos: fyne.NewPos(x0, y0), size: fyne.NewSize(max(0, x1-x0), max(0, y1-y0))}
}

// inside reports whether a lies within b, give or take the tolerance.
func inside(a, b node) bool {
	return a.pos.X >= b.pos.X-tolerance && a.pos.Y >= b.pos.Y-tolerance &&
		a.pos.X+a.size.Width <= b.pos.X+b.size.Width+tolerance &&
		a.pos.Y+a.size.Height <= b.pos.Y+b.size.Height+tolerance
}

func describe(o fyne.CanvasObject) string {
	if t, ok := o.(*canvas.Text); ok {
		return fmt.Sprintf("text %q", t.Text)
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", o), "*")
}

// checkClipping wants every text and widget inside its nearest widget or container with
// a size, and inside the window (or, in a scroll, inside the scrolled content).
func (c *checker) checkClipping(n node, parents []node, clip *node) {
	_, isText := n.obj.(*canvas.Text)
	_, isWidget := n.obj.(fyne.Widget)
	if !isText && !isWidget {
		return
	}
	if clip == nil && !inside(n, node{size: c.win}) {
		c.add(Clipped, n, fmt.Sprintf("outside the %.0f×%.0f window", c.win.Width, c.win.Height))
		return
	}
	for i := len(parents) - 1; i >= 0; i-- {
		p := parents[i]
		if p.size.Width <= 0 && p.size.Height <= 0 {
			continue
		}
		if _, ok := p.obj.(*container.Scroll); ok {
			return // the scroll moves its content; the viewport is not a clip edge
		}
		if !inside(n, p) {
			c.add(Clipped, n, fmt.Sprintf("runs out of its %s at (%.0f,%.0f) %.0f×%.0f", describe(p.obj), p.pos.X, p.pos.Y, p.size.Width, p.size.Height))
		}
		return
	}
}

func (c *checker) checkText(t *canvas.Text, n node, clip *node, disabled bool) {
	if strings.TrimSpace(t.Text) == "" {
		return
	}
	if strings.HasSuffix(t.Text, "…") {
		c.add(Clipped, n, "cut short with an ellipsis")
	}
	if m := t.MinSize(); m.Width > n.size.Width+tolerance {
		c.add(Clipped, n, fmt.Sprintf("needs %.0f px wide, has %.0f", m.Width, n.size.Width))
	}
	if c.o.Elder && t.TextSize < ElderMinText {
		c.add(SmallText, n, fmt.Sprintf("%.1f px, elder mode wants at least %d", t.TextSize, ElderMinText))
	}
	if disabled || t.Color == nil {
		return // WCAG exempts inactive controls
	}
	// In a scroll only the part in the viewport is painted, and its background is what is
	// painted there: a text half scrolled away is judged on its visible part.
	vis := n
	if clip != nil {
		vis = intersect(n, *clip)
	}
	bg := c.background(vis)
	fg := Over(t.Color, bg)
	ratio := Contrast(fg, bg)
	want := MinContrast
	if t.TextSize >= LargeText || (t.TextStyle.Bold && t.TextSize >= LargeBoldText) {
		want = MinContrastLg
	}
	if ratio < want {
		c.add(LowContrast, n, fmt.Sprintf("%.2f:1 (%s on %s), wants %.1f:1", ratio, hex(fg), hex(bg), want))
	}
}

// background composites every rectangle painted so far under the text's centre.
func (c *checker) background(n node) color.NRGBA {
	cx, cy := n.pos.X+n.size.Width/2, n.pos.Y+n.size.Height/2
	bg := color.NRGBA{A: 0xFF}
	for _, p := range c.paints {
		if cx >= p.pos.X && cx < p.pos.X+p.size.Width && cy >= p.pos.Y && cy < p.pos.Y+p.size.Height {
			bg = Over(p.fill, bg)
		}
	}
	return bg
}

func hex(c color.NRGBA) string { return fmt.Sprintf("#%02X%02X%02X", c.R, c.G, c.B) }

func (c *checker) checkTarget(n node, _ fyne.Tappable) {
	want := float32(NormalTarget)
	if c.o.Elder {
		want = ElderTarget
	}
	if n.size.Width+tolerance < want || n.size.Height+tolerance < want {
		c.add(SmallTarget, n, fmt.Sprintf("wants at least %.0f×%.0f", want, want))
	}
}

func (c *checker) add(k Kind, n node, detail string) {
	c.out = append(c.out, Finding{Kind: k, What: describe(n.obj), Pos: n.pos, Size: n.size, Detail: detail})
}
