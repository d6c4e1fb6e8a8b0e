package update

import (
	"encoding/base64"
	"fmt"
	"strconv"
)

// Args are a release's signed fields as command args (each value well under the
// command channel's 256 bytes), so the hub can announce it through the command channel.
func (r Release) Args() map[string]string {
	return map[string]string{
		"package": r.Package, "version": r.Version, "arch": r.Arch, "channel": r.Channel,
		"size": strconv.FormatInt(r.Size, 10), "sha256": r.SHA256,
		"signature": base64.StdEncoding.EncodeToString(r.Signature),
	}
}

// FromArgs rebuilds the release an update command announces. It checks the form only:
// the caller verifies the signature (Accept).
func FromArgs(args map[string]string) (Release, error) {
	sig, err := base64.StdEncoding.Strict().DecodeString(args["signature"])
	if err != nil {
		return Release{}, fmt.Errorf("%w: signature", ErrMalformed)
	}
	size, err := strconv.ParseInt(args["size"], 10, 64)
	if err != nil {
		return Release{}, fmt.Errorf("%w: size", ErrMalformed)
	}
	r := Release{Manifest: Manifest{Package: args["package"], Version: args["version"], Arch: args["arch"],
		Channel: args["channel"], Size: size, SHA256: args["sha256"]}, Signature: sig}
	return r, r.Validate()
}
