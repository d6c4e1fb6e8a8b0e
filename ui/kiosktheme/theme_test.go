package kiosktheme

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// contrast is the WCAG 2 contrast ratio of two opaque colours.
func contrast(a, b color.Color) float64 {
	lum := func(c color.Color) float64 {
		r, g, bl, _ := c.RGBA()
		ch := func(v uint32) float64 {
			s := float64(v) / 0xFFFF
			if s <= 0.03928 {
				return s / 12.92
			}
			return math.Pow((s+0.055)/1.055, 2.4)
		}
		return 0.2126*ch(r) + 0.7152*ch(g) + 0.0722*ch(bl)
	}
	la, lb := lum(a), lum(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func TestContrast(t *testing.T) {
	th := New(nil)
	c := func(n fyne.ThemeColorName) color.Color { return th.Color(n, theme.VariantDark) }
	tests := []struct {
		name   string
		fg, bg fyne.ThemeColorName
		min    float64
	}{
		{"text on background", theme.ColorNameForeground, theme.ColorNameBackground, 7},
		{"text on card", theme.ColorNameForeground, ColorNameCard, 7},
		{"text on button", theme.ColorNameForeground, theme.ColorNameButton, 7},
		{"text on locked field", theme.ColorNameForeground, ColorNameLocked, 7},
		{"text on primary", theme.ColorNameForegroundOnPrimary, theme.ColorNamePrimary, 7},
		{"text on bar", ColorNameOnBar, ColorNameBar, 7},
		{"muted on background", ColorNameMuted, theme.ColorNameBackground, 4.5},
		{"error on card", theme.ColorNameError, ColorNameCard, 4.5},
		{"success on card", theme.ColorNameSuccess, ColorNameCard, 4.5},
		{"warning on card", theme.ColorNameWarning, ColorNameCard, 4.5},
		{"calm on background", ColorNameCalm, theme.ColorNameBackground, 4.5},
		{"disabled on disabled button", theme.ColorNameDisabled, theme.ColorNameDisabledButton, 3},
		{"on error", theme.ColorNameForegroundOnError, theme.ColorNameError, 4.5},
		{"on success", theme.ColorNameForegroundOnSuccess, theme.ColorNameSuccess, 4.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := contrast(c(tt.fg), c(tt.bg)); got < tt.min {
				t.Errorf("contrast %.2f:1, want at least %.1f:1", got, tt.min)
			}
		})
	}
}

func TestSizes(t *testing.T) {
	th := New(nil)
	if got := th.Size(SizeNameTarget); got < 60 {
		t.Errorf("touch target %v px, want at least 60", got)
	}
	tests := []fyne.ThemeSizeName{theme.SizeNameText, theme.SizeNameHeadingText, SizeNameTarget, SizeNameKey, SizeNameTileHeight}
	for _, n := range tests {
		normal := th.Size(n)
		th.SetElder(true)
		elder := th.Size(n)
		th.SetElder(false)
		if math.Abs(float64(elder/normal)-ElderScale) > 0.001 {
			t.Errorf("%s: elder %v / normal %v = %.3f, want %.1f", n, elder, normal, elder/normal, ElderScale)
		}
	}
	th.SetElder(true)
	if p := th.Size(theme.SizeNamePadding); p <= 8 || p >= 8*ElderScale {
		t.Errorf("elder padding %v: want it to grow, but less than type", p)
	}
}

func TestEveryColorDefined(t *testing.T) {
	th := New(nil)
	for _, n := range []fyne.ThemeColorName{ColorNameBar, ColorNameOnBar, ColorNameCard, ColorNameLocked, ColorNameMuted, ColorNameCalm} {
		if _, _, _, a := th.Color(n, theme.VariantLight).RGBA(); a == 0 {
			t.Errorf("colour %s is not defined", n)
		}
	}
}

// In the high-contrast palette every text colour is at least 7:1 (WCAG AAA) on every
// surface it is drawn on.
func TestHighContrastPalette(t *testing.T) {
	th := New(nil)
	th.SetHighContrast(true)
	c := func(n fyne.ThemeColorName) color.Color { return th.Color(n, theme.VariantLight) }
	pairs := []struct{ fg, bg fyne.ThemeColorName }{
		{theme.ColorNameForeground, theme.ColorNameBackground},
		{theme.ColorNameForeground, ColorNameCard},
		{theme.ColorNameForeground, theme.ColorNameButton},
		{theme.ColorNameForeground, ColorNameLocked},
		{ColorNameMuted, theme.ColorNameBackground},
		{ColorNameMuted, ColorNameLocked},
		{theme.ColorNameForegroundOnPrimary, theme.ColorNamePrimary},
		{ColorNameOnBar, ColorNameBar},
		{theme.ColorNameError, ColorNameCard},
		{theme.ColorNameSuccess, ColorNameCard},
		{theme.ColorNameWarning, ColorNameCard},
		{ColorNameCalm, theme.ColorNameBackground},
		{theme.ColorNamePlaceHolder, ColorNameCard},
		{theme.ColorNameDisabled, theme.ColorNameDisabledButton},
	}
	for _, p := range pairs {
		if r := contrast(c(p.fg), c(p.bg)); r < 7 {
			t.Errorf("%s on %s: %.2f:1, want at least 7:1", p.fg, p.bg, r)
		}
	}
	hcBar := c(ColorNameBar)
	th.SetHighContrast(false)
	if c(ColorNameBar) == hcBar {
		t.Error("switching high contrast off kept its bar colour")
	}
}
