// Package fonts finds and loads the CJK typeface the kiosk draws its text with.
//
// Fyne's bundled typeface has no Chinese glyphs, so the kiosk loads Noto Sans CJK SC from
// the system (Debian's fonts-noto-cjk, a dependency of the kiosk package) at start-up and
// fails with an error that names the missing package. Debian ships that typeface only as
// TrueType collections (.ttc), which Fyne cannot read, so this package extracts the one
// Simplified Chinese face from a collection into a standalone OpenType font in memory.
//
// The package reads font files only. It must never download fonts, write to the system font
// directories, or guess a substitute face whose glyph shapes differ from the Simplified
// Chinese standard (the Japanese or Traditional faces of the same collection).
package fonts
