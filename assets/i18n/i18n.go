// Package i18n embeds the kiosk's interface translations, one JSON file per language in the
// format of Fyne's lang package (see ui/locale). The files hold interface text only, never
// personal data.
package i18n

import "embed"

// Files holds zh-CN.json and en.json at its top level.
//
//go:embed *.json
var Files embed.FS
