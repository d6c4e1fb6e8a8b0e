// Package screen may use Fyne.
package screen

import _ "fyne.io/fyne/v2"
