package hub

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/govkiosk/govkiosk/internal/atomicfile"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Operator accounts. Each person at the platform has an account with one role; the
// credentials are hashed at rest with argon2id. Requests authenticate with HTTP Basic
// (account name and secret). The hub's -operator-token, if set, still works as a bearer
// token for a bootstrap administrator (actor "token"). Failed attempts are throttled per
// source address, operator routes need TLS unless the caller is on loopback, and every
// operator action is written to the audit log (audit.go) before its answer is given.

// Role is what an operator account may do.
type Role string

// The roles, from least to most.
const (
	// RoleViewer sees the operator's views without personal data: full tracking codes,
	// terminals with their addresses, command results.
	RoleViewer Role = "viewer"
	// RoleIssuer is a viewer who may issue identity QR codes, and nothing else.
	RoleIssuer Role = "identity_issuer"
	// RoleOperator is a viewer who may read residents' forms and attachments, record
	// statuses, create enrollment codes, publish and send commands.
	RoleOperator Role = "operator"
	// RoleAdmin may do everything, including reading the audit log.
	RoleAdmin Role = "admin"
)

// Roles lists the roles in order.
var Roles = []Role{RoleViewer, RoleIssuer, RoleOperator, RoleAdmin}

// perm is one kind of operator action.
type perm int

const (
	permView     perm = iota // operator views without personal data
	permPersonal             // read residents' forms and attachments
	permManage               // statuses, enrollment codes, publishing, commands
	permIssue                // identity QR codes
	permAudit                // read the audit log
)

func (r Role) can(p perm) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleOperator:
		return p == permView || p == permPersonal || p == permManage
	case RoleIssuer:
		return p == permView || p == permIssue
	case RoleViewer:
		return p == permView
	}
	return false
}

// ValidRole reports whether r is one of Roles.
func ValidRole(r Role) bool { return slices.Contains(Roles, r) }

// Account is one operator account as the accounts file stores it.
type Account struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Hash is the argon2id hash of the secret (PHC string format).
	Hash    string    `json:"hash"`
	Created time.Time `json:"created"`
}

type accountsFile struct {
	Accounts []Account `json:"accounts"`
}

// ErrAccounts means the accounts file cannot be used.
var ErrAccounts = errors.New("hub: operator accounts")

// argon2id parameters: the OWASP minimum (19 MiB, 2 passes, 1 lane). Each verification
// costs tens of milliseconds; the per-source throttle keeps guessing at that price
// from becoming a denial of service, and a short cache spares honest repeat requests.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// HashSecret returns the argon2id hash of an operator secret.
func HashSecret(secret string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(secret), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// verifySecret checks secret against an argon2id hash from HashSecret.
func verifySecret(hash, secret string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<20 || t == 0 || t > 16 || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(secret), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against for unknown account names, so that a wrong name costs
// as long as a wrong secret.
var dummyHash = func() string { h, _ := HashSecret("not a secret"); return h }()

func loadAccounts(path string) ([]Account, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAccounts, err)
	}
	var f accountsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %s is not valid JSON", ErrAccounts, path)
	}
	for _, a := range f.Accounts {
		if !validAccountName(a.Name) || !ValidRole(a.Role) || !strings.HasPrefix(a.Hash, "$argon2id$") {
			return nil, fmt.Errorf("%w: %s: account %q is incomplete or has an unknown role", ErrAccounts, path, a.Name)
		}
	}
	return f.Accounts, nil
}

func validAccountName(n string) bool {
	if len(n) < 1 || len(n) > 64 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// AddAccount adds (or, with replace, replaces) an operator account in the accounts file
// and returns its new secret, made here from 192 random bits: shown once, stored only
// hashed. The file is written atomically with mode 0600. A running hub reads it at start.
func AddAccount(path, name string, role Role, replace bool) (secret string, err error) {
	if !validAccountName(name) {
		return "", fmt.Errorf("%w: name %q: use 1-64 of a-z 0-9 . _ -", ErrAccounts, name)
	}
	if !ValidRole(role) {
		return "", fmt.Errorf("%w: role %q: use one of %v", ErrAccounts, role, Roles)
	}
	accounts, err := loadAccounts(path)
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(accounts, func(a Account) bool { return a.Name == name })
	if i >= 0 && !replace {
		return "", fmt.Errorf("%w: account %q exists", ErrAccounts, name)
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	secret = base64.RawURLEncoding.EncodeToString(raw)
	hash, err := HashSecret(secret)
	if err != nil {
		return "", err
	}
	a := Account{Name: name, Role: role, Hash: hash, Created: time.Now().UTC().Truncate(time.Second)}
	if i >= 0 {
		accounts[i] = a
	} else {
		accounts = append(accounts, a)
	}
	b, err := json.MarshalIndent(accountsFile{Accounts: accounts}, "", "  ")
	if err != nil {
		return "", err
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return "", fmt.Errorf("%w: %w", ErrAccounts, err)
	}
	return secret, nil
}

// actor is who made an operator request.
type actor struct {
	name string
	role Role
}

// operators authenticates operator requests.
type operators struct {
	token    string
	accounts map[string]Account
	fails    *sourceLimiter // failed attempts per source

	mu    sync.Mutex
	key   [32]byte                // keys the cache of verified credentials
	cache map[[32]byte]cached     // HMAC of name and secret → verified account
	issue map[string]*tokenBucket // identity codes per actor
	rate  float64
	burst int
	now   func() time.Time
}

type cached struct {
	acct    Account
	expires time.Time
}

func newOperators(token string, accounts []Account, failRate float64, failBurst int, issueRate float64, issueBurst int, now func() time.Time) *operators {
	o := &operators{token: token, accounts: map[string]Account{}, fails: newSourceLimiter(failRate, failBurst, 65536, now),
		cache: map[[32]byte]cached{}, issue: map[string]*tokenBucket{}, rate: issueRate, burst: issueBurst, now: now}
	rand.Read(o.key[:])
	for _, a := range accounts {
		o.accounts[a.Name] = a
	}
	return o
}

func (o *operators) enabled() bool { return o.token != "" || len(o.accounts) > 0 }

// authError is a refused operator request and how to answer it.
type authError struct {
	status int
	err    *protocol.Error
}

// isLoopbackRemote reports whether the request comes from this machine.
func isLoopbackRemote(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// authenticate returns who made r, or why not. A request without credentials is not a
// failed attempt; one with wrong credentials spends its source's failure budget, and a
// source out of budget is answered 429 before any credential is checked.
func (h *Hub) authenticate(r *http.Request) (actor, *authError) {
	o := h.ops
	if !o.enabled() {
		return actor{}, &authError{http.StatusForbidden, protocol.Errorf(protocol.CodeAuthFailed, "",
			"operator API disabled: start the hub with an operator token or accounts")}
	}
	if r.TLS == nil && !isLoopbackRemote(r.RemoteAddr) {
		return actor{}, &authError{http.StatusForbidden, protocol.Errorf(protocol.CodeAuthFailed, "",
			"operator routes need TLS (https://) unless called from the hub's own machine")}
	}
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return actor{}, &authError{http.StatusUnauthorized, protocol.Errorf(protocol.CodeAuthFailed, "", "operator credentials required")}
	}
	if wait := o.fails.wait(r.RemoteAddr); wait > 0 {
		h.m.operatorThrottled.Add(1)
		return actor{}, &authError{http.StatusTooManyRequests, &protocol.Error{Code: protocol.CodeTryLater,
			Message: "too many failed sign-ins from this address; try again later", RetryAfterMS: max(wait, time.Second).Milliseconds()}}
	}
	if a, ok := o.check(authz); ok {
		return a, nil
	}
	o.fails.take(r.RemoteAddr)
	h.m.operatorAuthFailures.Add(1)
	h.log.Warn("operator sign-in failed", "remote", r.RemoteAddr)
	return actor{}, &authError{http.StatusUnauthorized, protocol.Errorf(protocol.CodeAuthFailed, "", "wrong operator credentials")}
}

// check verifies an Authorization header value.
func (o *operators) check(authz string) (actor, bool) {
	if tok, ok := strings.CutPrefix(authz, "Bearer "); ok {
		if o.token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(o.token)) == 1 {
			return actor{name: "token", role: RoleAdmin}, true
		}
		return actor{}, false
	}
	enc, ok := strings.CutPrefix(authz, "Basic ")
	if !ok {
		return actor{}, false
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return actor{}, false
	}
	name, secret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return actor{}, false
	}
	mac := hmac.New(sha256.New, o.key[:])
	mac.Write([]byte(name))
	mac.Write([]byte{0})
	mac.Write([]byte(secret))
	var k [32]byte
	copy(k[:], mac.Sum(nil))
	now := o.now()
	o.mu.Lock()
	c, hit := o.cache[k]
	o.mu.Unlock()
	if hit && now.Before(c.expires) {
		return actor{name: c.acct.Name, role: c.acct.Role}, true
	}
	a, known := o.accounts[name]
	hash := a.Hash
	if !known {
		hash = dummyHash
	}
	if !verifySecret(hash, secret) || !known {
		return actor{}, false
	}
	o.mu.Lock()
	if len(o.cache) >= 1024 {
		clear(o.cache)
	}
	o.cache[k] = cached{acct: a, expires: now.Add(time.Minute)}
	o.mu.Unlock()
	return actor{name: a.Name, role: a.Role}, true
}

// takeIssue spends one of the actor's identity-code budget.
func (o *operators) takeIssue(name string) (bool, time.Duration) {
	o.mu.Lock()
	b := o.issue[name]
	if b == nil {
		b = newTokenBucket(o.rate, o.burst, o.now)
		o.issue[name] = b
	}
	o.mu.Unlock()
	return b.take()
}

// wait says how long until the source has a token, without spending one.
func (l *sourceLimiter) wait(remote string) time.Duration {
	l.mu.Lock()
	b := l.buckets[sourceOf(remote)]
	l.mu.Unlock()
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	tokens := b.tokens
	if el := b.now().Sub(b.last).Seconds(); el > 0 {
		tokens = min(b.burst, tokens+el*b.rate)
	}
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / b.rate * float64(time.Second))
}
