// Package assets embeds the data govkiosk ships with, so every binary carries its defaults
// and works with no files beside it: the default service catalog, the synthetic sample ID
// cards the simulators offer with their synthetic e-licences, and (in package assets/i18n) the UI translations.
//
// The sample cards are synthetic people: their ID numbers use region codes 99xxxx, which
// GB/T 2260 does not assign, so they cannot be anybody's.
package assets

import (
	"embed"
	"io/fs"
)

//go:embed catalog/*.json
var catalogFS embed.FS

//go:embed cards/*.json
var cardsFS embed.FS

//go:embed licences/*.json
var licencesFS embed.FS

// Licences returns the synthetic e-licences of the sample cards, in the format of the
// reference hub's licence directory (docs/LICENCES.md).
func Licences() fs.FS {
	sub, err := fs.Sub(licencesFS, "licences")
	if err != nil {
		panic(err)
	}
	return sub
}

// Catalog returns the default service catalog directory (default.json).
func Catalog() fs.FS {
	sub, err := fs.Sub(catalogFS, "catalog")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// DefaultCatalog returns the bytes of the default service catalog.
func DefaultCatalog() []byte {
	b, err := catalogFS.ReadFile("catalog/default.json")
	if err != nil {
		panic(err)
	}
	return b
}

// Cards returns the synthetic sample cards, one JSON file per card.
func Cards() fs.FS {
	sub, err := fs.Sub(cardsFS, "cards")
	if err != nil {
		panic(err)
	}
	return sub
}
