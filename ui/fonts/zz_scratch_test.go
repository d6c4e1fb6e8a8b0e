package fonts

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/go-text/typesetting/font"
)

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestScratchTables(t *testing.T) {
	data, _ := os.ReadFile(DefaultRegular)
	face, err := Extract(data, Family)
	if err != nil {
		t.Fatal(err)
	}
	data = nil
	f, _ := readFace(face, 0)
	for _, tb := range f.tables {
		fmt.Printf("%s %d\n", tagString(tb.tag), tb.length)
	}
	h0 := heap()
	p, err := font.ParseTTF(bytes.NewReader(face))
	if err != nil {
		t.Fatal(err)
	}
	h1 := heap()
	fmt.Printf("face bytes %d MB; parse adds %d MB\n", len(face)>>20, (h1-h0)>>20)
	runtime.KeepAlive(p)
	runtime.KeepAlive(face)
}
