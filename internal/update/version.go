package update

import "strings"

// CompareVersions orders two Debian versions as dpkg does (epoch, upstream version,
// revision; "~" sorts before anything, even the end): -1, 0 or 1.
func CompareVersions(a, b string) int {
	ea, ua, ra := splitVersion(a)
	eb, ub, rb := splitVersion(b)
	if c := compareNumeric(ea, eb); c != 0 {
		return c
	}
	if c := compareFragment(ua, ub); c != 0 {
		return c
	}
	return compareFragment(ra, rb)
}

func splitVersion(v string) (epoch, upstream, revision string) {
	epoch = "0"
	if e, rest, ok := strings.Cut(v, ":"); ok {
		epoch, v = e, rest
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// order is dpkg's weight of a non-digit character: "~" first, then the end of the
// string, then letters, then everything else.
func order(c byte) int {
	switch {
	case c == '~':
		return -1
	case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return int(c)
	default:
		return int(c) + 256
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func compareFragment(a, b string) int {
	for a != "" || b != "" {
		// Non-digit run, character by character.
		for (a != "" && !isDigit(a[0])) || (b != "" && !isDigit(b[0])) {
			var oa, ob int
			if a != "" && !isDigit(a[0]) {
				oa = order(a[0])
			}
			if b != "" && !isDigit(b[0]) {
				ob = order(b[0])
			}
			if oa != ob {
				return sign(oa - ob)
			}
			a, b = a[min(1, len(a)):], b[min(1, len(b)):]
		}
		// Digit run, as a number.
		var da, db string
		da, a = digitRun(a)
		db, b = digitRun(b)
		if c := compareNumeric(da, db); c != 0 {
			return c
		}
	}
	return 0
}

func digitRun(s string) (digits, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// compareNumeric compares digit strings of any length as numbers.
func compareNumeric(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// ValidVersion reports whether v has the form of a Debian version a release may carry.
func ValidVersion(v string) bool { return versionPat.MatchString(v) }
