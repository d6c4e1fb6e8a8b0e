package fonts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"fyne.io/fyne/v2"
)

// Family is the face the kiosk draws all text with: Simplified Chinese glyph shapes, and
// Latin letters and digits designed to sit with them.
const Family = "Noto Sans CJK SC"

// Package is the Debian package that installs the typeface.
const Package = "fonts-noto-cjk"

// Where Debian's fonts-noto-cjk puts the regular and bold collections.
const (
	DefaultRegular = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
	DefaultBold    = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
)

// ErrMissing is returned, wrapped, when a font file does not exist.
var ErrMissing = errors.New("fonts: typeface not installed")

// Set is the typeface in the styles the kiosk uses. Bold may equal Regular when no bold
// file is available.
type Set struct {
	Regular fyne.Resource
	Bold    fyne.Resource
}

// Paths says where to read the regular and bold faces from. An empty Bold path uses the
// regular face for bold text.
type Paths struct {
	Regular string
	Bold    string
}

// DefaultPaths are the Debian locations.
var DefaultPaths = Paths{Regular: DefaultRegular, Bold: DefaultBold}

// Load reads the Simplified Chinese face from the files p names. A missing regular file is
// an error wrapping ErrMissing whose text names the package to install; a missing bold file
// falls back to the regular face.
func Load(p Paths) (*Set, error) {
	reg, err := loadFace(p.Regular, "NotoSansCJK-SC-Regular.otf")
	if err != nil {
		return nil, err
	}
	set := &Set{Regular: reg, Bold: reg}
	if p.Bold == "" {
		return set, nil
	}
	bold, err := loadFace(p.Bold, "NotoSansCJK-SC-Bold.otf")
	switch {
	case errors.Is(err, ErrMissing):
		return set, nil
	case err != nil:
		return nil, err
	}
	set.Bold = bold
	return set, nil
}

func loadFace(path, name string) (fyne.Resource, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s not found; install the %s package", ErrMissing, path, Package)
	}
	if err != nil {
		return nil, fmt.Errorf("fonts: read %s: %w", path, err)
	}
	face, err := Extract(data, Family)
	if err != nil {
		return nil, fmt.Errorf("fonts: %s: %w", path, err)
	}
	return fyne.NewStaticResource(name, face), nil
}
