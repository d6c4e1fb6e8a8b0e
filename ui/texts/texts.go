// Package texts embeds interface text that the ui package ships beside the shared
// translations (assets/i18n): the technician's safe-mode and settings words added after
// those files were last revised. The translator takes them only where the shared files
// lack a key (locale.Translator.Supplement), so moving a key into the shared files later
// changes nothing on screen. The files hold interface text only, never personal data.
package texts

import "embed"

// Files holds zh-CN.json and en.json at its top level.
//
//go:embed *.json
var Files embed.FS
