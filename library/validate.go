package library

import (
	"path"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"damask"
)

// Limits of text fields, in characters.
const (
	maxTitle       = 255
	maxDescription = 10000
	maxTag         = 64
	maxComment     = 1000
	maxName        = 100
	maxEmail       = 254
	maxLogin       = 64
	maxFilename    = 255 // bytes, as most filesystems count
	minPassword    = 8
	maxPassword    = 1024
)

// text checks a text field: valid UTF-8, no control characters (but line
// breaks and tabs where multiline), at most max characters. It answers the
// value with surrounding space trimmed.
func text(field, v string, max int, multiline bool) (string, error) {
	if !utf8.ValidString(v) {
		return "", damask.Errorf(damask.EINVALID, "%s is not valid UTF-8", field)
	}
	v = strings.TrimSpace(v)
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return "", damask.Errorf(damask.EINVALID, "%s contains control characters", field)
		}
	}
	if n := utf8.RuneCountInString(v); n > max {
		return "", damask.Errorf(damask.EINVALID, "%s is too long (maximum is %d characters)", field, max)
	}
	return v, nil
}

// required is text that may not be blank.
func required(field, v string, max int) (string, error) {
	v, err := text(field, v, max, false)
	if err == nil && v == "" {
		err = damask.Errorf(damask.EINVALID, "%s can't be blank", field)
	}
	return v, err
}

var (
	loginRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	accountRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	emailRE   = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

func validLogin(v string) (string, error) {
	v, err := required("Login", v, maxLogin)
	if err == nil && !loginRE.MatchString(v) {
		err = damask.Errorf(damask.EINVALID, "Login may hold only letters, digits, '.', '_' and '-'")
	}
	return v, err
}

func validEmail(v string) (string, error) {
	v, err := required("Email", v, maxEmail)
	if err == nil && !emailRE.MatchString(v) {
		err = damask.Errorf(damask.EINVALID, "Email is invalid")
	}
	return v, err
}

// ValidAccountName checks an account's name, which is also its subdomain.
func ValidAccountName(v string) error {
	if len(v) > 63 || !accountRE.MatchString(v) {
		return damask.Errorf(damask.EINVALID, "Name must be 1 to 63 lowercase letters, digits or '-', as a subdomain")
	}
	return nil
}

func validPassword(v string) error {
	if n := utf8.RuneCountInString(v); n < minPassword || n > maxPassword || !utf8.ValidString(v) {
		return damask.Errorf(damask.EINVALID, "Password must be %d to %d characters", minPassword, maxPassword)
	}
	return nil
}

// CleanFilename makes a client's filename safe to keep and to show: only
// its last path element (for / and \ alike), no control characters or NUL,
// no bidirectional overrides (which show "gpj.exe" as "exe.jpg"),
// valid UTF-8, no leading dots or surrounding space, at most 255 bytes with
// the extension kept. The name is metadata only: storage keys are hashes.
func CleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || bidiControl(r) {
			return -1
		}
		return r
	}, name)
	// Dots and spaces are trimmed together: trimmed one after the other,
	// ". .x" would keep a leading dot.
	name = strings.TrimLeftFunc(name, func(r rune) bool { return r == '.' || unicode.IsSpace(r) })
	name = strings.TrimRightFunc(name, unicode.IsSpace)
	if len(name) > maxFilename {
		ext := path.Ext(name)
		if len(ext) > 16 || !utf8.ValidString(ext) {
			ext = ""
		}
		base := name[:maxFilename-len(ext)]
		for !utf8.ValidString(base) { // cut on a character boundary
			base = base[:len(base)-1]
		}
		// The cut may end in space; trimmed, so that a clean name stays
		// as it is when cleaned again.
		name = strings.TrimRightFunc(base, unicode.IsSpace) + ext
	}
	if name == "" {
		name = "untitled"
	}
	return name
}

// bidiControl tells the characters that reorder the text around them
// (embeddings, overrides, isolates and the directional marks): in a name
// they only ever serve to disguise its extension.
func bidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' ||
		r == '\u200E' || r == '\u200F' || r == '\u061C'
}

// splitList splits a list of tags written by a client: by commas, or by
// spaces when there is no comma. Empty items are dropped.
func splitList(s string) []string {
	sep := func(r rune) bool { return r == ',' }
	if !strings.Contains(s, ",") {
		sep = unicode.IsSpace
	}
	var out []string
	for _, f := range strings.FieldsFunc(s, sep) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func validUTF8(s string) bool { return utf8.ValidString(s) }

// truncateRunes cuts s to at most n characters, for logs.
func truncateRunes(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// parseExpiry reads the expires_on of a Stage or an Inbox: "" for never,
// a date (the end of that day in UTC) or an RFC 3339 time, to the second.
func parseExpiry(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return d.Add(24 * time.Hour).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, damask.Errorf(damask.EINVALID, "expires_on must be a date (2026-12-31) or a time (2026-12-31T18:00:00Z), not %q", truncateRunes(v, 40))
	}
	return t.UTC().Truncate(time.Second), nil
}
