package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"

	"github.com/govkiosk/govkiosk/ui/kiosktheme"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// newSafeScreen is what stands in for the start screen in safe mode (Deps.SafeMode): it
// says plainly that the terminal started in safe mode after repeated crashes, sends
// residents to a staffed counter, and lets a technician sign in. It begins no visit.
func (a *App) newSafeScreen() screen {
	s := a.newBase("safe_mode")
	var actions []fyne.CanvasObject
	if a.deps.Access != nil {
		signIn := touch.NewPrimary(a.T("safe.technician"), theme.AccountIcon(), a.act(a.openPIN))
		actions = append(actions, s.add("safe_mode.technician", signIn))
	} else if a.deps.OnRestart != nil {
		// Nobody can sign in: the only way on is a normal start.
		restart := touch.NewPrimary(a.T("tech.restart"), theme.ViewRefreshIcon(), a.act(a.restartNormally))
		actions = append(actions, s.add("safe_mode.restart", restart))
	}
	body := container.NewVBox(layout.NewSpacer(),
		container.NewCenter(icon(theme.WarningIcon(), theme.ColorNameWarning, theme.Size(kiosktheme.SizeNameTileHeight)/2)),
		centered(a.heading(a.safeHeading())),
		centered(a.para(a.T("safe.residents"))),
		layout.NewSpacer())
	s.content = a.frame(s, frame{title: a.T("safe.title"), actions: actions}, body)
	return s
}

// safeHeading says why the kiosk is in safe mode: a start-up failure when the wiring
// gave one (Deps.SafeReason), else repeated crashes.
func (a *App) safeHeading() string {
	if a.deps.SafeReason.Zh != "" || a.deps.SafeReason.En != "" {
		return a.T("safe.startup_heading")
	}
	return a.T("safe.heading")
}

// safeBanner is the technician settings' statement that the kiosk runs in safe mode, and
// why: a start-up failure in words with what to do, or repeated crashes.
func (a *App) safeBanner() fyne.CanvasObject {
	text := a.T("safe.banner")
	if a.deps.SafeReason.Zh != "" || a.deps.SafeReason.En != "" {
		text = a.T("safe.startup_heading") + ": " + a.text(a.deps.SafeReason)
	}
	msg := a.styled(text, theme.SizeNameText, theme.ColorNameForegroundOnWarning, true)
	msg.Wrapping = fyne.TextWrapWord
	return tinted(container.NewBorder(nil, nil,
		icon(theme.WarningIcon(), theme.ColorNameForegroundOnWarning, theme.Size(theme.SizeNameInlineIcon)), nil, msg),
		theme.Color(theme.ColorNameWarning))
}

// restartNormally hands the technician's "restart normally" to the wiring.
func (a *App) restartNormally() {
	if a.deps.OnRestart == nil {
		return
	}
	a.log.Info("technician asked for a normal restart", "safe_mode", a.deps.SafeMode)
	a.deps.OnRestart()
}
