// Package touch holds the kiosk's touch widgets: buttons and tiles no smaller than the
// theme's touch target, a digit keypad and a simple letter keyboard (the terminal has no
// physical keyboard and no input method), a form field that shows whether its value came
// from the ID card, and a star rating.
//
// Widgets here only draw and report taps. They hold no business rules (what a field
// accepts is kiosk/form's to say) and must never log what is typed into them: it is
// personal data.
package touch

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/govkiosk/govkiosk/ui/kiosktheme"
)

// Labeled is a widget with a human-readable label, for the automation map and tests.
type Labeled interface {
	Label() string
}

func size(n fyne.ThemeSizeName, w fyne.Widget) float32 { return theme.SizeForWidget(n, w) }

func target(w fyne.Widget) float32 { return size(kiosktheme.SizeNameTarget, w) }
