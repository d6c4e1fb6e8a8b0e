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

// Load checks that the files p names hold the Simplified Chinese face and returns it as
// resources that read the face from its file each time their content is asked for. A
// missing regular file is an error wrapping ErrMissing whose text names the package to
// install; a missing bold file falls back to the regular face.
//
// The resources keep no bytes: Fyne parses a face once per text style and keeps what it
// parsed, so holding the 16 MB face as well would only double it (twice, with bold).
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

// loadFace checks that path holds the face and returns a resource that reads it again
// when asked.
func loadFace(path, name string) (fyne.Resource, error) {
	r := &fileFace{path: path, name: name}
	if _, err := r.read(); err != nil {
		return nil, err
	}
	return r, nil
}

// fileFace is the Simplified Chinese face of a font file, read from the file whenever its
// content is asked for and kept nowhere.
type fileFace struct {
	path, name string
}

// Name names the face as a standalone OpenType file.
func (f *fileFace) Name() string { return f.name }

// Content reads the face from its file. It returns nil when the file has gone or changed
// since Load checked it (a package upgrade under a running kiosk); Fyne then falls back to
// its own typeface, and the next start reports the problem.
func (f *fileFace) Content() []byte {
	b, err := f.read()
	if err != nil {
		return nil
	}
	return b
}

func (f *fileFace) read() ([]byte, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s not found; install the %s package", ErrMissing, f.path, Package)
	}
	if err != nil {
		return nil, fmt.Errorf("fonts: read %s: %w", f.path, err)
	}
	face, err := Extract(data, Family)
	if err != nil {
		return nil, fmt.Errorf("fonts: %s: %w", f.path, err)
	}
	return face, nil
}
