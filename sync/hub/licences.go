package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/kiosk/licence"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// E-licences (电子证照): a terminal asks which licences of some types the platform holds
// for the resident it identified, by protocol.IDHash of the ID number; the hub asks its
// LicenceProvider and answers with what the resident may use instead of a scan. The
// contract a provincial e-licence service plugs in through is docs/LICENCES.md.

// LicenceRequest is one query as a provider sees it: the least needed to find licences.
type LicenceRequest struct {
	// IDHash is protocol.IDHash, keyed with the hub's query key, of the holder's ID number.
	IDHash string
	// Types are known licence types (the hub refuses unknown ones before asking).
	Types []licence.Type
	// Terminal is the enrolled terminal asking, for the provider's own audit.
	Terminal string
}

// LicenceProvider is the e-licence library the hub asks on a terminal's behalf.
// Implementations are safe for concurrent use and honour ctx.
type LicenceProvider interface {
	// Licences returns the holder's licences of the requested types (none is an empty
	// result, not an error). An error means the library could not be asked; the
	// terminal then has the resident scan.
	Licences(ctx context.Context, req LicenceRequest) ([]licence.Licence, error)
}

// Budget of licence queries per terminal: one per identified resident and service, so
// a burst of a few and one every few seconds; more looks like walking through numbers.
const (
	licenceRate    = 0.2 // per second
	licenceBurst   = 5
	licenceTimeout = 5 * time.Second
)

// ErrLicenceDir is a licence directory entry the reference provider cannot use.
var ErrLicenceDir = errors.New("hub: licence directory")

// dirLicences is the reference provider: a directory of JSON files the operator fills
// (for a demo, synthetic licences for the synthetic sample cards). Each file holds an
// array of licenceEntry. The ID numbers in them are hashed with the query key when the
// files are read and never kept; a change to the directory is picked up at the next
// query.
type dirLicences struct {
	dir string
	key []byte

	mu   sync.Mutex
	sig  string
	by   map[string][]licence.Licence // IDHash → licences
	warn func(msg string, args ...any)
}

// licenceEntry is one licence in the directory.
type licenceEntry struct {
	IDNumber string    `json:"id_number"`
	Type     string    `json:"type"`
	Ref      string    `json:"ref"`
	Number   string    `json:"number,omitempty"`
	Title    form.Text `json:"title,omitzero"`
	Issuer   string    `json:"issuer,omitempty"`
	Issued   string    `json:"issued,omitempty"`  // 2006-01-02
	Expires  string    `json:"expires,omitempty"` // 2006-01-02; empty: no end
}

// newDirLicences reads dir; a directory with a bad entry is refused with every problem
// named, so the operator sees them at start.
func newDirLicences(dir string, key []byte, warn func(string, ...any)) (*dirLicences, error) {
	p := &dirLicences{dir: dir, key: key, warn: warn}
	sig, by, err := p.read()
	if err != nil {
		return nil, err
	}
	p.sig, p.by = sig, by
	return p, nil
}

// signature names the directory's files with their sizes and times: a different one
// means the operator changed something.
func (p *dirLicences) signature() (string, []string, error) {
	files, err := filepath.Glob(filepath.Join(p.dir, "*.json"))
	if err != nil {
		return "", nil, err
	}
	sort.Strings(files)
	var b strings.Builder
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return "", nil, err
		}
		fmt.Fprintf(&b, "%s %d %d\n", filepath.Base(f), fi.Size(), fi.ModTime().UnixNano())
	}
	return b.String(), files, nil
}

func (p *dirLicences) read() (string, map[string][]licence.Licence, error) {
	if fi, err := os.Stat(p.dir); err != nil || !fi.IsDir() {
		return "", nil, fmt.Errorf("%w: %s is not a directory", ErrLicenceDir, p.dir)
	}
	sig, files, err := p.signature()
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrLicenceDir, err)
	}
	by := map[string][]licence.Licence{}
	var problems []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", nil, fmt.Errorf("%w: %w", ErrLicenceDir, err)
		}
		var entries []licenceEntry
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&entries); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", filepath.Base(f), err))
			continue
		}
		for i, e := range entries {
			at := fmt.Sprintf("%s[%d]", filepath.Base(f), i)
			l, n, err := e.licence()
			if err != nil {
				// The entry's position, never its number: the message reaches logs.
				problems = append(problems, fmt.Sprintf("%s: %v", at, err))
				continue
			}
			h := protocol.IDHash(p.key, n)
			by[h] = append(by[h], l)
		}
	}
	if len(problems) > 0 {
		return "", nil, fmt.Errorf("%w %s: %s", ErrLicenceDir, p.dir, strings.Join(problems, "; "))
	}
	return sig, by, nil
}

func (e licenceEntry) licence() (licence.Licence, string, error) {
	n := identity.NormalizeNumber(e.IDNumber)
	if !identity.ValidNumber(n) {
		return licence.Licence{}, "", errors.New("id_number is not a valid ID number")
	}
	t := licence.Type(e.Type)
	if err := licence.Check(t); err != nil {
		return licence.Licence{}, "", err
	}
	if !protocol.ValidID(e.Ref) {
		return licence.Licence{}, "", errors.New("ref: want 1-64 of A-Z a-z 0-9 . _ : -")
	}
	l := licence.Licence{Type: t, Ref: e.Ref, Number: e.Number, Title: e.Title, Issuer: form.Text{Zh: e.Issuer}}
	for _, d := range []struct {
		name, v string
		to      *time.Time
	}{{"issued", e.Issued, &l.Issued}, {"expires", e.Expires, &l.Expires}} {
		if d.v == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, d.v)
		if err != nil {
			return licence.Licence{}, "", fmt.Errorf("%s: want YYYY-MM-DD", d.name)
		}
		*d.to = t
	}
	return l, n, nil
}

// Licences implements LicenceProvider.
func (p *dirLicences) Licences(ctx context.Context, req LicenceRequest) ([]licence.Licence, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if sig, _, err := p.signature(); err == nil && sig != p.sig {
		if sig2, by, err := p.read(); err != nil {
			// Keep what was read before: one bad edit must not stop every lookup.
			p.warn("licence directory changed but cannot be read; keeping the previous contents", "err", err)
			p.sig = sig
		} else {
			p.sig, p.by = sig2, by
		}
	}
	var out []licence.Licence
	for _, l := range p.by[req.IDHash] {
		if slices.Contains(req.Types, l.Type) {
			out = append(out, l)
		}
	}
	return out, nil
}

// maskNumber keeps the first and last four characters of a licence number.
func maskNumber(s string) string {
	r := []rune(s)
	if len(r) <= 8 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-8) + string(r[len(r)-4:])
}

func (h *Hub) licenceBudget(terminalID string) *tokenBucket {
	h.licenceQ.mu.Lock()
	defer h.licenceQ.mu.Unlock()
	if h.licenceQ.by == nil {
		h.licenceQ.by = map[string]*tokenBucket{}
	}
	b := h.licenceQ.by[terminalID]
	if b == nil {
		b = newTokenBucket(licenceRate, licenceBurst, h.opt.Now)
		h.licenceQ.by[terminalID] = b
	}
	return b
}

func (c *conn) handleLicenceQuery(m *protocol.LicenceQuery) {
	h := c.h
	if h.licences == nil {
		c.reply(protocol.Errorf(protocol.CodeNotFound, m.ID, "this hub has no e-licence library"))
		return
	}
	types := make([]licence.Type, 0, len(m.Types))
	for _, t := range m.Types {
		lt := licence.Type(t)
		if err := licence.Check(lt); err != nil {
			c.reply(protocol.Errorf(protocol.CodeUnknownLicenceType, m.ID, "unknown licence type %q; known: %v", t, licence.Types()))
			return
		}
		if !slices.Contains(types, lt) {
			types = append(types, lt)
		}
	}
	if ok, wait := h.licenceBudget(c.term.rec.ID).take(); !ok {
		e := protocol.Errorf(protocol.CodeTryLater, m.ID, "too many licence queries; try again later")
		e.RetryAfterMS = max(wait, h.opt.RetryAfter).Milliseconds()
		c.reply(e)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), licenceTimeout)
	found, err := h.licences.Licences(ctx, LicenceRequest{IDHash: m.IDHash, Types: types, Terminal: c.term.rec.ID})
	cancel()
	status := 200
	if err != nil {
		status = 503
	}
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = string(t)
	}
	// Every lookup that reached the library is on the audit chain: which terminal asked
	// for which types and how many it got, never whose (not even the hash).
	if aerr := h.audit.append(AuditEntry{At: h.opt.Now().UTC(), Actor: "terminal:" + c.term.rec.ID, Role: RoleTerminal,
		Action: "licence_query", Target: strings.Join(names, ","), Purpose: fmt.Sprintf("found %d", len(found)),
		Remote: c.remote, Status: status}); aerr != nil {
		// Unaudited, nothing is answered.
		c.log.Error("audit licence query", "err", aerr)
		c.reply(protocol.Errorf(protocol.CodeInternal, m.ID, "audit log unavailable"))
		return
	}
	if err != nil {
		c.log.Warn("licence library", "err", err)
		e := protocol.Errorf(protocol.CodeTryLater, m.ID, "e-licence library unavailable")
		e.RetryAfterMS = h.opt.RetryAfter.Milliseconds()
		c.reply(e)
		return
	}
	out := &protocol.Licences{ID: m.ID, Items: []protocol.Licence{}}
	for _, l := range found {
		if len(out.Items) == protocol.MaxLicences {
			break
		}
		out.Items = append(out.Items, protocol.Licence{Type: string(l.Type), Ref: l.Ref, Number: maskNumber(l.Number),
			TitleZh: l.Title.Zh, TitleEn: l.Title.En, Issuer: l.Issuer.Zh, Issued: l.Issued, Expires: l.Expires})
	}
	c.sendMsg(out)
}

// RoleTerminal marks audit entries of what a terminal did on a resident's behalf (a
// licence lookup). No operator account can hold it.
const RoleTerminal Role = "terminal"
