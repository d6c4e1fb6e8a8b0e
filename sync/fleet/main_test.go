package fleet

import (
	"os"
	"testing"

	"github.com/govkiosk/govkiosk/internal/pgtest"
)

// TestMain stops the PostgreSQL server the benchmarks share, if they started one.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}
