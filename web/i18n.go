package web

// The pages' languages. The English text is the key: templates read
// {{t "Upload files"}} and {{n .Total "%d asset" "%d assets"}}, the Go
// code s.tr(r, "Saved."), the scripts tx("Pause"). A language other than
// English has a catalog, i18n/<code>.json, that maps each key to its
// text (or, for a plural, to its singular and plural forms); a key it
// lacks is shown in English, never blank. TestCatalogComplete fails on a
// key without a German text and on a German text nobody uses.
//
// The messages of errors (the library's and web's own, which the API
// shows in English) are translated where the page shows them: by their
// exact text, or by a key with verbs ("%s is too long (maximum is %d
// characters)") read as a pattern whose arguments are translated in
// turn ("Title" -> "Titel").
//
// Two keys of a catalog are settings rather than texts: the months'
// names ("January February ..." in its language, for dates) and "1.5",
// how it writes one and a half (a decimal comma in German).

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"damask/library"
)

//go:embed i18n/*.json
var catalogFiles embed.FS

// message is one key's text in a language: its forms, the singular
// first; a key that is no plural has one.
type message []string

func (m *message) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*m = message{one}
		return nil
	}
	var forms []string
	if err := json.Unmarshal(b, &forms); err != nil || len(forms) != 2 {
		return fmt.Errorf("a message is a text or [singular, plural]: %s", b)
	}
	*m = forms
	return nil
}

// pattern reads a message made from a key with verbs.
type pattern struct {
	key string
	re  *regexp.Regexp
}

// language is one language's catalog.
type language struct {
	code     string
	msgs     map[string]message
	patterns []pattern // the keys with verbs, longest first
	months   []string  // January first; nil: the English date format
	comma    bool      // decimals after a comma: "1,5 MB"
}

// languages are the pages' languages by code, English with no catalog.
type languages map[string]*language

var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[sdqvgf]`)

func loadLanguages() languages {
	ls := languages{"en": {code: "en", msgs: map[string]message{}}}
	for _, code := range library.Languages[1:] {
		b, err := catalogFiles.ReadFile("i18n/" + code + ".json")
		if err != nil {
			panic(err)
		}
		l := &language{code: code}
		if err := json.Unmarshal(b, &l.msgs); err != nil {
			panic(fmt.Sprintf("catalog %s: %v", code, err))
		}
		for k, m := range l.msgs {
			if len(m) == 1 && verb.MatchString(k) {
				// Each verb matches anything; %q's quotes stay literal.
				re := "^"
				last := 0
				for _, loc := range verb.FindAllStringIndex(k, -1) {
					re += regexp.QuoteMeta(k[last:loc[0]])
					if strings.HasSuffix(k[loc[0]:loc[1]], "q") {
						re += `(".*?")`
					} else {
						re += `(.+?)`
					}
					last = loc[1]
				}
				re += regexp.QuoteMeta(k[last:]) + "$"
				l.patterns = append(l.patterns, pattern{key: k, re: regexp.MustCompile(re)})
			}
		}
		sort.Slice(l.patterns, func(i, j int) bool { return len(l.patterns[i].key) > len(l.patterns[j].key) })
		if m, ok := l.msgs["January February March April May June July August September October November December"]; ok {
			l.months = strings.Fields(m[0])
		}
		l.comma = l.T("1.5") == "1,5"
		ls[code] = l
	}
	return ls
}

// T is key's text, formatted with args.
func (l *language) T(key string, args ...any) string {
	f := key
	if m, ok := l.msgs[key]; ok {
		f = m[0]
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}

// N is the text of a count: one or other (the English forms, one the
// key), formatted with n and then args.
func (l *language) N(n any, one, other string, args ...any) string {
	f := other
	if m, ok := l.msgs[one]; ok {
		f = m[len(m)-1]
		if count(n) == 1 {
			f = m[0]
		}
	} else if count(n) == 1 {
		f = one
	}
	return fmt.Sprintf(f, append([]any{n}, args...)...)
}

func count(n any) int64 {
	switch n := n.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	case int32:
		return int64(n)
	}
	return -1
}

// Msg translates the message of an error: by its exact text, else by
// the first pattern it fits, whose arguments are translated in turn (a
// field's name; a search's error inside "query %s"). What fits none stays
// as it is.
func (l *language) Msg(msg string) string { return l.msg(msg, 3) }

func (l *language) msg(msg string, depth int) string {
	if msg == "" || depth == 0 || len(l.patterns) == 0 && len(l.msgs) == 0 {
		return msg
	}
	if m, ok := l.msgs[msg]; ok && len(m) == 1 {
		return m[0]
	}
	for _, p := range l.patterns {
		sub := p.re.FindStringSubmatch(msg)
		if sub == nil {
			continue
		}
		args := make([]any, len(sub)-1)
		for i, a := range sub[1:] {
			args[i] = l.msg(a, depth-1)
		}
		// The verbs become %s: the arguments are text already (a %q's
		// with its quotes).
		f := verb.ReplaceAllStringFunc(l.msgs[p.key][0], func(v string) string {
			if i := strings.Index(v, "]"); i > 0 {
				return v[:i+1] + "s"
			}
			return "%s"
		})
		return fmt.Sprintf(f, args...)
	}
	return msg
}

// When writes t in zone, the zone named: "2026-12-07 15:04 CET" in
// English, "7. Dezember 2026, 15:04 CET" in a language with month names;
// "" for no time.
func (l *language) When(t time.Time, zone *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if zone == nil {
		zone = time.UTC
	}
	t = t.In(zone)
	if l == nil || l.months == nil {
		return t.Format("2006-01-02 15:04 MST")
	}
	return strconv.Itoa(t.Day()) + ". " + l.months[t.Month()-1] + " " + t.Format("2006, 15:04 MST")
}

// Bytes writes a size as people of l read it: "1.5 MB", "1,5 MB".
func (l *language) Bytes(n int64) string {
	s := humanBytes(n)
	if l.comma {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// funcs are the template functions that speak l.
func (l *language) funcs() map[string]any {
	return map[string]any{
		"t":     l.T,
		"n":     l.N,
		"m":     l.Msg,
		"bytes": l.Bytes,
	}
}

// script is the part of the catalog the scripts use, as JSON: the texts
// of the keys of damask.js's tx("...") and txn calls; "" for none.
func (l *language) script(keys []string) string {
	out := map[string]message{}
	for _, k := range keys {
		if m, ok := l.msgs[k]; ok {
			out[k] = m
		}
	}
	if len(out) == 0 {
		return ""
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// scriptCall finds the keys of a script's tx("...") and txn(x, "...",
// ...) calls.
var scriptCall = regexp.MustCompile(`\b(?:tx\(|txn\([^,()]+, )"((?:[^"\\]|\\.)*)"`)

func scriptKeys(src string) []string {
	var keys []string
	for _, m := range scriptCall.FindAllStringSubmatch(src, -1) {
		k, err := strconv.Unquote(`"` + m[1] + `"`)
		if err == nil && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// accepted is the language of an Accept-Language header: the supported
// one the browser wants most (q-values honoured, regions ignored, the
// header's order breaking ties), else English.
func accepted(header string) string {
	best, bestQ := "en", 0.0
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if primary == "*" {
			primary = "en"
		}
		if q > bestQ && q > 0 && slices.Contains(library.Languages, primary) {
			best, bestQ = primary, q
		}
	}
	return best
}

// lang is the language of r's page: the signed-in user's setting, else
// the browser's.
func (s *Server) lang(r *http.Request) *language {
	code := ""
	if req := info(r); req != nil && req.user != nil {
		code = req.user.Language
	}
	if code == "" {
		code = accepted(r.Header.Get("Accept-Language"))
	}
	if l, ok := s.langs[code]; ok {
		return l
	}
	return s.langs["en"]
}

// msg marks a key that is translated later, where r is known (s.tr(r, v)
// of a variable): TestCatalogComplete finds the keys by their calls.
func msg(key string) string { return key }

// tr is key's text in r's language, formatted with args.
func (s *Server) tr(r *http.Request, key string, args ...any) string {
	return s.lang(r).T(key, args...)
}

// trn is the text of a count in r's language (language.N).
func (s *Server) trn(r *http.Request, n any, one, other string, args ...any) string {
	return s.lang(r).N(n, one, other, args...)
}
