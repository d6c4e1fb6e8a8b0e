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
	"syscall"
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
	mu  sync.Mutex
	r   *C.zinnia_recognizer_t
	buf unsafe.Pointer // the model, when built in memory (OpenZinniaSubset)
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

// OpenZinniaSubset loads the characters of a Zinnia model that keep accepts, without the
// weights smaller in size than minWeight, into memory of its own. The file is read once
// and not kept open.
func OpenZinniaSubset(path string, keep func(char string) bool, minWeight float32) (*Zinnia, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNoModel, path)
		}
		return nil, fmt.Errorf("handwriting: model: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("handwriting: model: %w", err)
	}
	if st.Size() < modelHeader || st.Size() > 1<<30 {
		return nil, fmt.Errorf("%w: %s: %d bytes", ErrBadModel, path, st.Size())
	}
	file, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("handwriting: model: %w", err)
	}
	defer syscall.Munmap(file)
	all, err := parseModel(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var chars []modelChar
	for _, c := range all {
		if keep(c.name) {
			chars = append(chars, c)
		}
	}
	if len(chars) == 0 {
		return nil, fmt.Errorf("%w: %s: no character kept", ErrBadModel, path)
	}
	size := modelSize(chars, minWeight)
	buf := C.malloc(C.size_t(size))
	if buf == nil {
		return nil, errors.New("handwriting: zinnia: out of memory")
	}
	writeModel(unsafe.Slice((*byte)(buf), size), chars, minWeight)
	r := C.zinnia_recognizer_new()
	if r == nil {
		C.free(buf)
		return nil, errors.New("handwriting: zinnia: out of memory")
	}
	if C.zinnia_recognizer_open_from_ptr(r, (*C.char)(buf), C.size_t(size)) == 0 {
		msg := C.GoString(C.zinnia_recognizer_strerror(r))
		C.zinnia_recognizer_destroy(r)
		C.free(buf)
		return nil, fmt.Errorf("handwriting: zinnia: open model: %s", msg)
	}
	return &Zinnia{r: r, buf: buf}, nil
}

// Chars returns the characters the model knows.
func (z *Zinnia) Chars() map[string]bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	out := map[string]bool{}
	if z.r == nil {
		return out
	}
	n := int(C.zinnia_recognizer_size(z.r))
	for i := 0; i < n; i++ {
		out[C.GoString(C.zinnia_recognizer_value(z.r, C.size_t(i)))] = true
	}
	return out
}

// Recognize classifies ink. The pad's aspect is kept: the ink is scaled by its larger
// side into the model's square.
func (z *Zinnia) Recognize(ink Ink, n int) ([]Candidate, error) {
	if n <= 0 || len(ink.Strokes) == 0 || ink.Width <= 0 || ink.Height <= 0 {
		return nil, nil
	}
	return z.classify(prepare(ink), n)
}

// classify hands strokes in model units to Zinnia.
func (z *Zinnia) classify(strokes []Stroke, n int) ([]Candidate, error) {
	if len(strokes) == 0 {
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
	for id, s := range strokes {
		for _, p := range s {
			C.zinnia_character_add(ch, C.size_t(id), C.int(math.Round(p.X)), C.int(math.Round(p.Y)))
		}
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

// prepare turns ink into the strokes Zinnia classifies, in model units: the character
// fitted into the model's square (fitBox), each stroke cut down to its corners (vertices).
// The pad in the kiosk, kioskctl and the evaluation all go through here.
func prepare(ink Ink) []Stroke {
	scale, dx, dy := fitBox(ink)
	var out []Stroke
	for _, s := range ink.Strokes {
		if len(s) == 0 {
			continue
		}
		t := make(Stroke, len(s))
		for i, p := range s {
			t[i] = Point{p.X*scale + dx, p.Y*scale + dy}
		}
		out = append(out, vertices(t, vertexTolerance))
	}
	return out
}

// fillShare is how much of the model's square the character's longer side fills after
// fitBox. The model's templates fill their square; 0.9 leaves the margin a written
// character has. (An earlier 0.65 only hid the wobble that vertices now removes: a
// smaller character wobbles less in model units, but its strokes then sit where the
// templates' strokes do not.)
const fillShare = 0.9

// fitBox returns the scale and offsets that centre the ink's bounding box in the model's
// square, filling fillShare of it along its longer side: residents write large or small,
// in the middle of the pad or in a corner. The longer side decides, so 一 stays flat and
// 丨 thin.
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

// vertexTolerance (model units, 9 % of the square) is how far a point must stand off the
// line between its neighbouring corners to count as a corner itself. Zinnia describes a
// stroke by the segments between points that stand more than about 3 % of the square off
// the chord, and its templates were built from strokes given as a few corner points
// (Tomoe's data). A finger's stroke has hundreds of points and wobbles by a few per cent:
// handed over as it is, each wobble becomes a segment no template has. 9 % keeps the
// corners of 横折, 竖弯钩 and the bend of a 撇 and drops the wobble.
const vertexTolerance = 90.0

// vertices keeps a stroke's first and last points and, between them, each point that
// stands more than tol off the line joining the kept points around it (Douglas–Peucker).
// Repeated points and the jitter of a resting finger go with it.
func vertices(s Stroke, tol float64) Stroke {
	if len(s) <= 2 {
		return s
	}
	keep := make([]bool, len(s))
	keep[0], keep[len(s)-1] = true, true
	type span struct{ a, b int }
	stack := []span{{0, len(s) - 1}}
	for len(stack) > 0 {
		sp := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if sp.b-sp.a < 2 {
			continue
		}
		a, b := s[sp.a], s[sp.b]
		length := math.Hypot(b.X-a.X, b.Y-a.Y)
		far, at := -1.0, -1
		for i := sp.a + 1; i < sp.b; i++ {
			p := s[i]
			var d float64
			if length < 1e-9 {
				d = math.Hypot(p.X-a.X, p.Y-a.Y)
			} else {
				d = math.Abs((b.X-a.X)*(a.Y-p.Y)-(a.X-p.X)*(b.Y-a.Y)) / length
			}
			if d > far {
				far, at = d, i
			}
		}
		if far > tol {
			keep[at] = true
			stack = append(stack, span{sp.a, at}, span{at, sp.b})
		}
	}
	out := make(Stroke, 0, 8)
	for i, k := range keep {
		if k {
			out = append(out, s[i])
		}
	}
	return out
}

// Close frees the model. Recognize after Close returns an error.
func (z *Zinnia) Close() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.r != nil {
		C.zinnia_recognizer_destroy(z.r)
		z.r = nil
	}
	if z.buf != nil {
		C.free(z.buf)
		z.buf = nil
	}
	return nil
}
