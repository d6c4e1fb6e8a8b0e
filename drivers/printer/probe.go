package printer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/govkiosk/govkiosk/drivers/printer/escpos"
	"github.com/govkiosk/govkiosk/drivers/transport"
)

// probeTimeout bounds the wait for the first answer when probing a port.
const probeTimeout = 500 * time.Millisecond

// Probe asks whatever is on p for its real-time printer status (DLE EOT 1, harmless to
// other devices) and says what answered: "ESC/POS printer, online", or "ESC/POS printer,
// offline (paper out)". It returns ErrNotESCPOS for an answer that is no status byte and
// a timeout error (transport.IsTimeout) when nothing answers. It leaves p open.
func Probe(ctx context.Context, p transport.Port) (string, error) {
	d := deadline(ctx, probeTimeout)
	ask := func(n escpos.StatusKind) (byte, error) {
		if err := p.SetWriteDeadline(d); err != nil {
			return 0, err
		}
		if _, err := p.Write(escpos.Query(n)); err != nil {
			return 0, err
		}
		var b [1]byte
		if err := transport.ReadFull(p, b[:], d); err != nil {
			return 0, err
		}
		if !escpos.IsStatusByte(b[0]) {
			return 0, fmt.Errorf("%w: answered %#02x to DLE EOT %d", ErrNotESCPOS, b[0], n)
		}
		return b[0], nil
	}
	var st escpos.Status
	b, err := ask(escpos.PrinterStatus)
	if err != nil {
		return "", fmt.Errorf("printer: probe %s: %w", p.Name(), err)
	}
	_ = st.Apply(escpos.PrinterStatus, b)
	if !st.Offline {
		return "ESC/POS printer, online", nil
	}
	// Offline: the causes make the answer useful to a technician. A printer that
	// answered once answers these too; if not, say offline without a cause.
	for _, n := range []escpos.StatusKind{escpos.OfflineCause, escpos.ErrorCause, escpos.PaperSensor} {
		b, err := ask(n)
		if err != nil {
			return "ESC/POS printer, offline", nil
		}
		_ = st.Apply(n, b)
	}
	cause := strings.TrimPrefix(st.String(), "offline")
	cause = strings.TrimPrefix(cause, ", ")
	if cause == "" {
		return "ESC/POS printer, offline", nil
	}
	return "ESC/POS printer, offline (" + cause + ")", nil
}
