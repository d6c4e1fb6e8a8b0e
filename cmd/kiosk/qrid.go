package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/protocol/idcode"
	"github.com/govkiosk/govkiosk/ui"
)

// qrIdentifier turns a scanned identity QR code into the resident's identity, for a
// resident whose card cannot be read. It checks the code offline against the hub's key
// from enrollment, so it works while the link to the hub is down; it refuses a code
// already used on this kiosk. It never logs a code or anything a code says.
type qrIdentifier struct {
	v   *idcode.Verifier
	now func() time.Time
	log *slog.Logger
}

// newQRIdentifier returns the QR identifier for the hub this terminal is enrolled with,
// or nil (the identify screen then offers no QR code) when the terminal is not enrolled,
// or was enrolled by a hub that handed out no identity-code key. The result is a plain
// interface value so nil stays nil in ui.Deps.
func newQRIdentifier(dataDir string, log *slog.Logger) ui.QRIdentifier {
	creds, err := client.LoadCredentials(dataDir)
	if err != nil {
		return nil // the syncer reports why
	}
	if len(creds.IdentityKey) == 0 {
		log.Info("identification by QR code off: enrolled without the hub's identity-code key (enroll again to offer it)")
		return nil
	}
	v, err := idcode.NewVerifier(creds.IdentityKey)
	if err != nil {
		log.Warn("identification by QR code off", "err", err)
		return nil
	}
	return &qrIdentifier{v: v, now: time.Now, log: log}
}

// IdentifyQR checks the code and returns the identity it vouches for. Refusals wrap the
// idcode errors: idcode.NeedsNewCode tells "fetch a new code" (expired, used) from "this
// is no valid code".
func (q *qrIdentifier) IdentifyQR(ctx context.Context, payload string) (*identity.Identity, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := q.v.Verify(payload, q.now())
	if err != nil {
		q.log.Info("identity code refused", "reason", refusal(err))
		if idcode.NeedsNewCode(err) {
			// Genuine but spent: the screen tells the resident to refresh it on the phone.
			return nil, fmt.Errorf("identity code: %w: %w", ui.ErrQRNeedsNewCode, err)
		}
		return nil, fmt.Errorf("identity code: %w", err)
	}
	id := &identity.Identity{
		CardType:      identity.QRCode,
		Name:          c.Name,
		IDNumber:      c.IDNumber,
		IDNumberValid: identity.ValidNumber(c.IDNumber),
		Birth:         c.Birth,
		Address:       c.Address,
	}
	if c.Gender != "" {
		id.Gender = identity.GenderByCode(c.Gender)
	}
	q.log.Info("identity code accepted", "code", c.ID.String(), "valid_for", c.ExpiresAt.Sub(q.now()).Round(time.Second))
	return id, nil
}

// refusal names why a code was refused in one word for the log: the error's text would
// do too, but a fixed vocabulary is easier to count and certain to hold no personal data.
func refusal(err error) string {
	for _, r := range []struct {
		err  error
		word string
	}{
		{idcode.ErrNotIdentityCode, "not_identity_code"},
		{idcode.ErrTooLarge, "too_large"},
		{idcode.ErrMalformed, "malformed"},
		{idcode.ErrUnsupportedVersion, "unsupported_version"},
		{idcode.ErrWrongHub, "wrong_hub"},
		{idcode.ErrBadSignature, "bad_signature"},
		{idcode.ErrExpired, "expired"},
		{idcode.ErrNotYetValid, "not_yet_valid"},
		{idcode.ErrReplayed, "replayed"},
		{idcode.ErrTooManyCodes, "too_many_codes"},
	} {
		if errors.Is(err, r.err) {
			return r.word
		}
	}
	return "other"
}
