// Package kiosktheme is the kiosk's look: a calm, high-contrast light palette in the blue
// of public service, large type and touch targets of at least 64 pixels at scale 1, and an
// elder mode that makes type and targets about 1.4 times larger again.
//
// The theme is one value whose elder mode is switched in place: Fyne drops and re-parses
// every font when the application's theme is replaced, which with a CJK typeface of many
// megabytes is a visible pause and a burst of garbage, so the kiosk sets the theme once and
// rebuilds the current screen after a switch. It holds no state besides that flag and must
// never do I/O.
package kiosktheme

import (
	"image/color"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/govkiosk/govkiosk/ui/fonts"
)

// ElderScale is how much larger elder mode makes type and touch targets.
const ElderScale = 1.4

// Kiosk sizes beyond Fyne's own names, read with Theme.Size.
const (
	// SizeNameTarget is the least width and height of anything a finger must hit.
	SizeNameTarget fyne.ThemeSizeName = "kioskTarget"
	// SizeNameKey is the side of an on-screen keypad key.
	SizeNameKey fyne.ThemeSizeName = "kioskKey"
	// SizeNameTileHeight is the height of a home-screen tile.
	SizeNameTileHeight fyne.ThemeSizeName = "kioskTileHeight"
	// SizeNameTitleText is the size of a screen's title.
	SizeNameTitleText fyne.ThemeSizeName = "kioskTitleText"
	// SizeNameHugeText is the size of a tracking code shown for a resident to photograph.
	SizeNameHugeText fyne.ThemeSizeName = "kioskHugeText"
	// SizeNameBar is the height of the top and bottom bars.
	SizeNameBar fyne.ThemeSizeName = "kioskBar"
)

// Kiosk colours beyond Fyne's own names.
const (
	// ColorNameBar fills the top bar; ColorNameOnBar is text on it.
	ColorNameBar   fyne.ThemeColorName = "kioskBar"
	ColorNameOnBar fyne.ThemeColorName = "kioskOnBar"
	// ColorNameCard fills a raised panel (tile, field, notice).
	ColorNameCard fyne.ThemeColorName = "kioskCard"
	// ColorNameLocked fills a field whose value came from the ID card.
	ColorNameLocked fyne.ThemeColorName = "kioskLocked"
	// ColorNameMuted is secondary text: hints, captions.
	ColorNameMuted fyne.ThemeColorName = "kioskMuted"
	// ColorNameCalm marks states that need no action (offline with a queue): never red.
	ColorNameCalm fyne.ThemeColorName = "kioskCalm"
)

// Palette. Text on background is about 15:1, white on primary about 8:1, muted text on
// background about 6:1: all above WCAG AA for large text, most above AAA.
var (
	background  = color.NRGBA{R: 0xF4, G: 0xF6, B: 0xF9, A: 0xFF}
	foreground  = color.NRGBA{R: 0x14, G: 0x20, B: 0x2E, A: 0xFF}
	primary     = color.NRGBA{R: 0x1D, G: 0x4F, B: 0x91, A: 0xFF}
	onPrimary   = color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF}
	button      = color.NRGBA{R: 0xE2, G: 0xE8, B: 0xF1, A: 0xFF}
	disabledBtn = color.NRGBA{R: 0xD9, G: 0xDE, B: 0xE5, A: 0xFF}
	disabled    = color.NRGBA{R: 0x6B, G: 0x75, B: 0x82, A: 0xFF}
	errorRed    = color.NRGBA{R: 0xB4, G: 0x23, B: 0x18, A: 0xFF}
	success     = color.NRGBA{R: 0x1E, G: 0x6E, B: 0x34, A: 0xFF}
	warning     = color.NRGBA{R: 0x8F, G: 0x55, B: 0x00, A: 0xFF}
	card        = color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF}
	locked      = color.NRGBA{R: 0xE9, G: 0xEE, B: 0xF4, A: 0xFF}
	muted       = color.NRGBA{R: 0x4A, G: 0x56, B: 0x66, A: 0xFF}
	inputBorder = color.NRGBA{R: 0x5B, G: 0x6B, B: 0x80, A: 0xFF}
	separator   = color.NRGBA{R: 0xC9, G: 0xD1, B: 0xDC, A: 0xFF}
	hover       = color.NRGBA{R: 0x1D, G: 0x4F, B: 0x91, A: 0x14}
	pressed     = color.NRGBA{R: 0x1D, G: 0x4F, B: 0x91, A: 0x33}
	focus       = color.NRGBA{R: 0x1D, G: 0x4F, B: 0x91, A: 0x55}
	selection   = color.NRGBA{R: 0x1D, G: 0x4F, B: 0x91, A: 0x33}
	shadow      = color.NRGBA{A: 0x33}
	overlay     = color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF}
	scrollBar   = color.NRGBA{R: 0x5B, G: 0x6B, B: 0x80, A: 0xCC}
	scrollBarBg = color.NRGBA{R: 0xC9, G: 0xD1, B: 0xDC, A: 0x66}
	calm        = color.NRGBA{R: 0x3B, G: 0x5B, B: 0x7A, A: 0xFF}
	placeholder = color.NRGBA{R: 0x6B, G: 0x75, B: 0x82, A: 0xFF}
	headerBg    = color.NRGBA{R: 0xE2, G: 0xE8, B: 0xF1, A: 0xFF}
	menuBg      = color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF}
	hyperlink   = primary
	onError     = onPrimary
	onSuccess   = onPrimary
	onWarning   = onPrimary
	barColor    = primary
	onBarColor  = onPrimary
	transparent = color.NRGBA{}
	colorByName = map[fyne.ThemeColorName]color.Color{
		theme.ColorNameBackground:          background,
		theme.ColorNameForeground:          foreground,
		theme.ColorNamePrimary:             primary,
		theme.ColorNameForegroundOnPrimary: onPrimary,
		theme.ColorNameButton:              button,
		theme.ColorNameDisabledButton:      disabledBtn,
		theme.ColorNameDisabled:            disabled,
		theme.ColorNameError:               errorRed,
		theme.ColorNameForegroundOnError:   onError,
		theme.ColorNameSuccess:             success,
		theme.ColorNameForegroundOnSuccess: onSuccess,
		theme.ColorNameWarning:             warning,
		theme.ColorNameForegroundOnWarning: onWarning,
		theme.ColorNameInputBackground:     card,
		theme.ColorNameInputBorder:         inputBorder,
		theme.ColorNameSeparator:           separator,
		theme.ColorNameHover:               hover,
		theme.ColorNamePressed:             pressed,
		theme.ColorNameFocus:               focus,
		theme.ColorNameSelection:           selection,
		theme.ColorNameShadow:              shadow,
		theme.ColorNameOverlayBackground:   overlay,
		theme.ColorNameMenuBackground:      menuBg,
		theme.ColorNameHeaderBackground:    headerBg,
		theme.ColorNameHyperlink:           hyperlink,
		theme.ColorNamePlaceHolder:         placeholder,
		theme.ColorNameScrollBar:           scrollBar,
		theme.ColorNameScrollBarBackground: scrollBarBg,
		ColorNameBar:                       barColor,
		ColorNameOnBar:                     onBarColor,
		ColorNameCard:                      card,
		ColorNameLocked:                    locked,
		ColorNameMuted:                     muted,
		ColorNameCalm:                      calm,
	}
)

// highContrast is the technician's high-contrast palette for residents with poor sight:
// black on white, white on a deep blue, every text pair at least 7:1 (WCAG AAA), borders
// and separators dark enough to see. Names it leaves out keep the normal palette.
var highContrast = map[fyne.ThemeColorName]color.Color{
	theme.ColorNameBackground:          color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF},
	theme.ColorNameForeground:          color.NRGBA{A: 0xFF},
	theme.ColorNamePrimary:             color.NRGBA{R: 0x00, G: 0x2A, B: 0x6B, A: 0xFF},
	theme.ColorNameForegroundOnPrimary: color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF},
	theme.ColorNameButton:              color.NRGBA{R: 0xE8, G: 0xE8, B: 0xE8, A: 0xFF},
	theme.ColorNameDisabledButton:      color.NRGBA{R: 0xD0, G: 0xD0, B: 0xD0, A: 0xFF},
	theme.ColorNameDisabled:            color.NRGBA{R: 0x30, G: 0x30, B: 0x30, A: 0xFF},
	theme.ColorNameError:               color.NRGBA{R: 0x8B, G: 0x00, B: 0x00, A: 0xFF},
	theme.ColorNameSuccess:             color.NRGBA{R: 0x00, G: 0x4D, B: 0x1A, A: 0xFF},
	theme.ColorNameWarning:             color.NRGBA{R: 0x5C, G: 0x33, B: 0x00, A: 0xFF},
	theme.ColorNameInputBackground:     color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF},
	theme.ColorNameInputBorder:         color.NRGBA{A: 0xFF},
	theme.ColorNameSeparator:           color.NRGBA{R: 0x40, G: 0x40, B: 0x40, A: 0xFF},
	theme.ColorNamePlaceHolder:         color.NRGBA{R: 0x40, G: 0x40, B: 0x40, A: 0xFF},
	theme.ColorNameHeaderBackground:    color.NRGBA{R: 0xE8, G: 0xE8, B: 0xE8, A: 0xFF},
	ColorNameBar:                       color.NRGBA{R: 0x00, G: 0x2A, B: 0x6B, A: 0xFF},
	ColorNameOnBar:                     color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF},
	ColorNameCard:                      color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF},
	ColorNameLocked:                    color.NRGBA{R: 0xE8, G: 0xE8, B: 0xE8, A: 0xFF},
	ColorNameMuted:                     color.NRGBA{R: 0x26, G: 0x26, B: 0x26, A: 0xFF},
	ColorNameCalm:                      color.NRGBA{R: 0x10, G: 0x2A, B: 0x45, A: 0xFF},
}

// Sizes at scale 1 for a 1920×1080 screen seen from arm's length. Text and targets grow
// in elder mode; spacing grows less so that the larger type still fits.
var (
	textSizes = map[fyne.ThemeSizeName]float32{
		theme.SizeNameText:           28,
		theme.SizeNameHeadingText:    42,
		theme.SizeNameSubHeadingText: 34,
		theme.SizeNameCaptionText:    23,
		theme.SizeNameInlineIcon:     34,
		SizeNameTitleText:            46,
		SizeNameHugeText:             72,
		SizeNameTarget:               64,
		SizeNameKey:                  84,
		SizeNameTileHeight:           220,
		SizeNameBar:                  96,
	}
	spacingSizes = map[fyne.ThemeSizeName]float32{
		theme.SizeNamePadding:            8,
		theme.SizeNameInnerPadding:       16,
		theme.SizeNameLineSpacing:        6,
		theme.SizeNameInputBorder:        3,
		theme.SizeNameInputRadius:        10,
		theme.SizeNameSelectionRadius:    10,
		theme.SizeNameScrollBar:          20,
		theme.SizeNameScrollBarSmall:     10,
		theme.SizeNameScrollBarRadius:    10,
		theme.SizeNameSeparatorThickness: 2,
	}
)

// elderSpacing is how much spacing grows in elder mode.
const elderSpacing = 1.2

// Theme is the kiosk theme. Its zero value is not usable; use New.
type Theme struct {
	fonts *fonts.Set
	elder atomic.Bool
	hc    atomic.Bool
}

var _ fyne.Theme = (*Theme)(nil)

// New returns the theme drawing text with f, or with Fyne's bundled font (no CJK glyphs:
// only for tests that do not look at pixels) when f is nil.
func New(f *fonts.Set) *Theme { return &Theme{fonts: f} }

// SetElder switches elder mode. The caller rebuilds what is on screen.
func (t *Theme) SetElder(on bool) { t.elder.Store(on) }

// SetHighContrast switches to the high-contrast palette (a technician setting). The
// caller rebuilds what is on screen.
func (t *Theme) SetHighContrast(on bool) { t.hc.Store(on) }

// HighContrast reports whether the high-contrast palette is on.
func (t *Theme) HighContrast() bool { return t.hc.Load() }

// Elder reports whether elder mode is on.
func (t *Theme) Elder() bool { return t.elder.Load() }

// Scale is the factor type and targets are multiplied by: 1, or ElderScale in elder mode.
func (t *Theme) Scale() float32 {
	if t.Elder() {
		return ElderScale
	}
	return 1
}

// Color returns the kiosk palette's colour. The kiosk is always light, whatever the
// system asks: a hall's lighting is bright and the palette was checked for contrast there.
func (t *Theme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	if t.HighContrast() {
		if c, ok := highContrast[n]; ok {
			return c
		}
	}
	if c, ok := colorByName[n]; ok {
		return c
	}
	return theme.DefaultTheme().Color(n, theme.VariantLight)
}

// Font returns the CJK face for every style: the kiosk never shows italic or monospace
// text, and the bundled Latin-only faces would leave Chinese as empty boxes.
func (t *Theme) Font(s fyne.TextStyle) fyne.Resource {
	if t.fonts == nil {
		return theme.DefaultTheme().Font(s)
	}
	if s.Bold {
		return t.fonts.Bold
	}
	return t.fonts.Regular
}

// Icon returns Fyne's icon.
func (t *Theme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

// Size returns the kiosk size, scaled for elder mode.
func (t *Theme) Size(n fyne.ThemeSizeName) float32 {
	if v, ok := textSizes[n]; ok {
		return v * t.Scale()
	}
	if v, ok := spacingSizes[n]; ok {
		if t.Elder() {
			return v * elderSpacing
		}
		return v
	}
	return theme.DefaultTheme().Size(n)
}

// Transparent is a fully transparent colour, for rectangles that only take space.
var Transparent color.Color = transparent
