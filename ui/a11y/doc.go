// Package a11y checks a rendered screen for what fails an older resident or a resident
// with poor sight, by walking Fyne's render tree (not by looking at pixels):
//
//   - a tap target smaller than 60×60 px in elder mode or 44×44 px otherwise;
//   - text whose contrast with what is painted under it is below 4.5:1, or 3:1 for large
//     text (WCAG 2.x's formula, from the colours actually set on the canvas objects);
//   - text smaller than the elder-mode minimum, in elder mode;
//   - text or a widget clipped: cut off by its container or by the window, or text cut
//     short with an ellipsis.
//
// The figures are the MIIT age-friendly ones (适老化: 60×60 dp targets in elder mode, 44
// otherwise, and main text of at least 18 pt) scaled to the kiosk's 21.5-inch 1920×1080
// panel at Fyne scale 1: 102.5 px per inch, 0.248 mm per px. 60 px is 14.9 mm and 44 px
// is 10.9 mm, both above the 9 mm finger pad they are meant for. 18 pt is 25.6 px on that
// panel at the 40 cm the point sizes assume; residents read the kiosk from 50 cm, so the
// elder minimum is 32 px.
//
// It is a test helper: it reads renderers through fyne.io/fyne/v2/test and must not be
// linked into the kiosk.
package a11y
