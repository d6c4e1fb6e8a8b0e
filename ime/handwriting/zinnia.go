package handwriting

/*
#cgo LDFLAGS: -lzinnia
#include <stdlib.h>
#include <zinnia.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"sync"
	"unsafe"
)

// DefaultModelPath is where Debian's tegaki-zinnia-simplified-chinese installs its model.
const DefaultModelPath = "/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model"

// ErrNoModel means the model file is missing: the install is broken and handwriting is
// off until the package is back. Callers compare with errors.Is.
var ErrNoModel = errors.New("handwriting: model not installed")

// zinniaUnits is the canvas the ink is scaled to before classifying: the Tegaki models
// were trained on a 1000-unit square.
const zinniaUnits = 1000

// Zinnia is a Recognizer backed by libzinnia. Safe for concurrent use.
type Zinnia struct {
	mu sync.Mutex
	r  *C.zinnia_recognizer_t
}

// OpenZinnia loads a Zinnia model (DefaultModelPath on the kiosk).
func OpenZinnia(path string) (*Zinnia, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNoModel, path)
		}
		return nil, fmt.Errorf("handwriting: model: %w", err)
	}
	r := C.zinnia_recognizer_new()
	if r == nil {
		return nil, errors.New("handwriting: zinnia: out of memory")
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if C.zinnia_recognizer_open(r, cpath) == 0 {
		msg := C.GoString(C.zinnia_recognizer_strerror(r))
		C.zinnia_recognizer_destroy(r)
		return nil, fmt.Errorf("handwriting: zinnia: open model: %s", msg)
	}
	return &Zinnia{r: r}, nil
}

// Recognize classifies ink. The pad's aspect is kept: the ink is scaled by its larger
// side into the model's square.
func (z *Zinnia) Recognize(ink Ink, n int) ([]Candidate, error) {
	if n <= 0 || len(ink.Strokes) == 0 || ink.Width <= 0 || ink.Height <= 0 {
		return nil, nil
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.r == nil {
		return nil, errors.New("handwriting: zinnia: closed")
	}
	ch := C.zinnia_character_new()
	if ch == nil {
		return nil, errors.New("handwriting: zinnia: out of memory")
	}
	defer C.zinnia_character_destroy(ch)
	C.zinnia_character_set_width(ch, zinniaUnits)
	C.zinnia_character_set_height(ch, zinniaUnits)
	scale, dx, dy := fitBox(ink)
	id := 0
	for _, s := range ink.Strokes {
		if len(s) == 0 {
			continue
		}
		for _, p := range simplify(s, minStep/scale) {
			x := C.int(math.Round(p.X*scale + dx))
			y := C.int(math.Round(p.Y*scale + dy))
			C.zinnia_character_add(ch, C.size_t(id), x, y)
		}
		id++
	}
	if id == 0 {
		return nil, nil
	}
	res := C.zinnia_recognizer_classify(z.r, ch, C.size_t(n))
	if res == nil {
		return nil, fmt.Errorf("handwriting: zinnia: classify: %s", C.GoString(C.zinnia_recognizer_strerror(z.r)))
	}
	defer C.zinnia_result_destroy(res)
	size := int(C.zinnia_result_size(res))
	out := make([]Candidate, 0, size)
	for i := 0; i < size; i++ {
		out = append(out, Candidate{
			Text:  C.GoString(C.zinnia_result_value(res, C.size_t(i))),
			Score: float64(C.zinnia_result_score(res, C.size_t(i))),
		})
	}
	return out, nil
}

// fillShare is how much of the model's square the character fills after fitBox. Chosen
// on the evaluation (docs/IME.md): 0.9 gave 61 % top-1, 0.8 66 %, 0.6–0.7 70–71 %.
const fillShare = 0.65

// fitBox returns the scale and offsets that centre the ink's bounding box in the model's
// square, filling fillShare of it along its longer side: residents write large or small,
// in the middle of the pad or in a corner, and the model was trained on characters that
// fill the square. The longer side decides, so 一 stays flat and 丨 thin.
func fitBox(ink Ink) (scale, dx, dy float64) {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, s := range ink.Strokes {
		for _, p := range s {
			minX, maxX = math.Min(minX, p.X), math.Max(maxX, p.X)
			minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
		}
	}
	side := math.Max(maxX-minX, maxY-minY)
	if side < 1e-9 || math.IsInf(side, 0) {
		// A dot: put it in the middle.
		return 1, zinniaUnits/2 - minX, zinniaUnits/2 - minY
	}
	scale = zinniaUnits * fillShare / side
	dx = zinniaUnits/2 - (minX+maxX)/2*scale
	dy = zinniaUnits/2 - (minY+maxY)/2*scale
	return scale, dx, dy
}

// minStep is the spacing, in model units, below which points are dropped: a touch screen
// reports a point every few pixels and its jitter reads to Zinnia as wiggles of the stroke.
// 50 units (5 % of the square) was best on the evaluation and halves the time to classify.
const minStep = 50.0

// simplify keeps a stroke's first and last points and those at least step from the last
// kept one.
func simplify(s Stroke, step float64) Stroke {
	if step <= 0 || len(s) <= 2 {
		return s
	}
	out := Stroke{s[0]}
	for _, p := range s[1 : len(s)-1] {
		last := out[len(out)-1]
		if math.Hypot(p.X-last.X, p.Y-last.Y) >= step {
			out = append(out, p)
		}
	}
	return append(out, s[len(s)-1])
}

// Close frees the model. Recognize after Close returns an error.
func (z *Zinnia) Close() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.r != nil {
		C.zinnia_recognizer_destroy(z.r)
		z.r = nil
	}
	return nil
}
