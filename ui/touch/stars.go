package touch

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/ui/kiosktheme"
)

// Stars is a 1–5 star rating. Each star is a large key; the stars up to the chosen one
// are filled and the chosen level's word is shown beneath ("满意").
type Stars struct {
	widget.BaseWidget

	// OnChanged receives the new rating.
	OnChanged func(n int)

	words   [5]string
	value   int
	keys    []Key
	caption *widget.Label
	content fyne.CanvasObject
}

// NewStars returns an unrated (0) rating; words name the five levels, lowest first.
func NewStars(words [5]string) *Stars {
	s := &Stars{words: words, caption: widget.NewLabel(" ")}
	s.ExtendBaseWidget(s)
	s.caption.Alignment = fyne.TextAlignCenter
	s.caption.TextStyle.Bold = true
	row := make([]fyne.CanvasObject, 0, 5)
	for i := 1; i <= 5; i++ {
		b := &Button{Text: "☆", Keycap: true, TextSize: kiosktheme.SizeNameHugeText, OnTapped: func() { s.Set(i) }}
		b.ExtendBaseWidget(b)
		s.keys = append(s.keys, Key{ID: fmt.Sprintf("rate.star.%d", i), Button: b})
		row = append(row, b)
	}
	s.content = container.NewVBox(container.NewGridWithColumns(5, row...), s.caption)
	return s
}

// Value returns the rating, 0 when none was chosen.
func (s *Stars) Value() int { return s.value }

// Keys returns the five stars.
func (s *Stars) Keys() []Key { return s.keys }

// Set chooses a rating from 1 to 5 (0 clears it).
func (s *Stars) Set(n int) {
	if n < 0 || n > 5 {
		return
	}
	s.value = n
	for i, k := range s.keys {
		k.Button.Text, k.Button.Importance = "☆", Secondary
		if i < n {
			k.Button.Text, k.Button.Importance = "★", Primary
		}
		k.Button.Refresh()
	}
	s.caption.SetText(" ")
	if n > 0 {
		s.caption.SetText(s.words[n-1])
	}
	if s.OnChanged != nil {
		s.OnChanged(n)
	}
}

// CreateRenderer lays the stars out.
func (s *Stars) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(s.content) }
