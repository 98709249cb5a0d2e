package search

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits that keep a hostile query cheap to parse and to run. A query
// beyond one of them is refused with an *Error.
//
// MinPrefix and MaxPrefixes bound the costliest term, a prefix (sun*):
// the engines look it up as every word that starts with it, so that a
// one-letter prefix reads the postings of a good part of the vocabulary
// (4 to 32 s a query among a million assets), while the two- and
// three-letter ones are read off the prefix indexes of the full-text
// index at the cost of a common word. Past 8, prefixes beside conditions
// the index cannot answer each add a whole read of their matches: facets
// of 16 took 9 s among 100,000 assets, of 8 2 s (bench/notes.md).
const (
	MaxQueryLen = 1000 // bytes
	MaxTerms    = 64   // words, phrases and field terms
	MaxDepth    = 16   // parentheses and negations inside each other
	MinPrefix   = 2    // letters or digits of a prefix's last word
	MaxPrefixes = 8    // prefix words in one query
)

// Parse parses a query typed by a user into a tree. A query of nothing but
// white space (or lone dashes) is no query: Parse returns nil, nil. Any
// other failure is an *Error whose Pos is the byte offset of the trouble,
// between 0 and len(q).
//
// The grammar, loosest binding first:
//
//	or      := and ("OR" and)*
//	and     := unary (["AND"] unary)*
//	unary   := "-" unary | "NOT" unary | primary
//	primary := "(" or ")" | field | phrase | word
//
// OR, AND and NOT are keywords only in upper case and only as a whole
// word: "or" and "-OR" (NOT of the word OR) are words. A word is a run of
// characters other than white space, parentheses and double quotes.
//
// Choices the grammar leaves open:
//
//   - A trailing "*" makes a prefix word (sun*). A "*" anywhere else, or
//     alone, is an error: no engine we compile to can match it.
//   - A run of dashes that stands alone ("beach - 2024") is ignored, as
//     the punctuation it usually is. Each leading dash of a word negates:
//     --a is Not{Not{a}}.
//   - A word is a field term when it starts with letters followed by ":"
//     (title:x), or with a known field's name followed by "<" or ">"
//     (size>1MB). Letters before ":" that name no field are an error that
//     lists the fields (foo:bar); a word whose part before ":" is not all
//     letters (10:30, :x, k9:x) is a plain word, as is love<3.
//   - A field's value is the rest of the word, taken as is (tag:a:b is the
//     tag "a:b"), or a quoted string right after the colon (tag:"sky
//     blue"). A quoted value of a text field is a phrase, of tag:, by: and
//     the others a single value with its outer white space trimmed.
//   - Inside quotes nothing is special but the closing quote: "sun*" and
//     "OR" are plain words.
//   - path: is a folder and everything below it; its slashes at either
//     end and empty segments are dropped (path:/a//b/ is path:a/b).
//   - ext: drops any leading dots and lowercases; type:, orientation: and
//     has: take their values in any case. Other values keep their case.
//   - before: is before the start of the period named, after: at or after
//     the start of the period that follows it, so both leave the period
//     out.
//   - Sizes take B, KB, MB, GB or TB in any case (1 KB = 1024 bytes), and
//     no unit means bytes; decimals are rounded to the nearest byte, half
//     up. Widths and heights are whole numbers of pixels.
//   - Nesting counts parentheses and negations together: at most MaxDepth.
//   - A prefix's last word (the one the engines expand: IMG_2* is the word
//     img followed by a word starting with 2) has at least MinPrefix
//     letters or digits, and a query holds at most MaxPrefixes prefixes.
//     A prefix without a letter or digit (.*) matches everything, as its
//     word would, and is not counted.
//
// And and Or with one part are that part; an And inside an And (from
// parentheses) is flattened into it, as is an Or inside an Or.
func Parse(q string) (Expr, error) {
	var (
		x   Expr
		err *Error
	)
	if len(q) > MaxQueryLen {
		err = &Error{Pos: MaxQueryLen, Msg: fmt.Sprintf("the query is longer than %d bytes", MaxQueryLen)}
	} else {
		x, err = parse(q)
	}
	if err != nil {
		// People count characters, not bytes.
		if err.Pos <= len(q) && utf8.ValidString(q[:err.Pos]) {
			err.Char = utf8.RuneCountInString(q[:err.Pos]) + 1
		}
		return nil, err
	}
	return x, nil
}

// parse is Parse without the limit on length, which Format may exceed by a
// little (see Format).
func parse(q string) (Expr, *Error) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, nil
	}
	p := &parser{q: q, toks: toks}
	x, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		// or() stops only at the end or at a ")" that closes nothing.
		return nil, errorf(t.pos, `")" without "("`)
	}
	return x, nil
}

func errorf(pos int, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokWord
	tokPhrase
	tokLParen
	tokRParen
	tokMinus
	tokAnd
	tokOr
	tokNot
)

type token struct {
	kind tokenKind
	pos  int    // byte offset of the first character
	text string // a word, or a phrase without its quotes
}

// lex splits q into tokens, refusing NUL and invalid UTF-8.
func lex(q string) ([]token, *Error) {
	for i, r := range q {
		if r == 0 {
			return nil, errorf(i, "the query holds a NUL character")
		}
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(q[i:]); size == 1 {
				return nil, errorf(i, "the query is not valid UTF-8")
			}
		}
	}
	var toks []token
	for i := 0; i < len(q); {
		r, size := utf8.DecodeRuneInString(q[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case r == '(':
			toks = append(toks, token{kind: tokLParen, pos: i})
			i++
		case r == ')':
			toks = append(toks, token{kind: tokRParen, pos: i})
			i++
		case r == '"':
			end := strings.IndexByte(q[i+1:], '"')
			if end < 0 {
				return nil, errorf(i, `missing the closing quote of this one`)
			}
			toks = append(toks, token{kind: tokPhrase, pos: i, text: q[i+1 : i+1+end]})
			i += end + 2
		case r == '-':
			j := i
			for j < len(q) && q[j] == '-' {
				j++
			}
			if j == len(q) || q[j] == ')' || spaceAt(q, j) {
				i = j // dashes standing alone: punctuation
				continue
			}
			for ; i < j; i++ {
				toks = append(toks, token{kind: tokMinus, pos: i})
			}
			if q[i] != '(' && q[i] != '"' {
				// The word after a dash is never a keyword.
				end := wordEnd(q, i)
				toks = append(toks, token{kind: tokWord, pos: i, text: q[i:end]})
				i = end
			}
		default:
			end := wordEnd(q, i)
			t := token{kind: tokWord, pos: i, text: q[i:end]}
			switch t.text {
			case "AND":
				t.kind = tokAnd
			case "OR":
				t.kind = tokOr
			case "NOT":
				t.kind = tokNot
			}
			toks = append(toks, t)
			i = end
		}
	}
	return toks, nil
}

func spaceAt(q string, i int) bool {
	r, _ := utf8.DecodeRuneInString(q[i:])
	return unicode.IsSpace(r)
}

// wordEnd is the offset just past the word that starts at i.
func wordEnd(q string, i int) int {
	for i < len(q) {
		r, size := utf8.DecodeRuneInString(q[i:])
		if unicode.IsSpace(r) || r == '(' || r == ')' || r == '"' {
			break
		}
		i += size
	}
	return i
}

type parser struct {
	q        string
	toks     []token
	i        int
	depth    int
	terms    int
	prefixes int
}

func (p *parser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return token{kind: tokEOF, pos: len(p.q)}
}

func (p *parser) next() token {
	t := p.peek()
	if p.i < len(p.toks) {
		p.i++
	}
	return t
}

func startsUnary(k tokenKind) bool {
	switch k {
	case tokWord, tokPhrase, tokLParen, tokMinus, tokNot:
		return true
	}
	return false
}

func (p *parser) or() (Expr, *Error) {
	x, err := p.and()
	if err != nil {
		return nil, err
	}
	parts := appendFlat(Or(nil), x)
	for p.peek().kind == tokOr {
		op := p.next()
		if !startsUnary(p.peek().kind) {
			return nil, errorf(op.pos, `"OR" needs words on both sides`)
		}
		y, err := p.and()
		if err != nil {
			return nil, err
		}
		parts = appendFlat(parts, y)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return parts, nil
}

func (p *parser) and() (Expr, *Error) {
	var parts And
	for {
		t := p.peek()
		switch {
		case startsUnary(t.kind):
			x, err := p.unary()
			if err != nil {
				return nil, err
			}
			parts = appendFlat(parts, x)
			continue
		case t.kind == tokAnd:
			p.next()
			if len(parts) == 0 || !startsUnary(p.peek().kind) {
				return nil, errorf(t.pos, `"AND" needs words on both sides`)
			}
			continue
		}
		if len(parts) == 0 {
			switch t.kind {
			case tokOr:
				return nil, errorf(t.pos, `"OR" needs words on both sides`)
			case tokRParen:
				return nil, errorf(t.pos, `")" without "("`)
			}
			return nil, errorf(t.pos, "expected a word") // unreachable
		}
		if len(parts) == 1 {
			return parts[0], nil
		}
		return parts, nil
	}
}

// appendFlat appends x to parts, or x's parts when it is of the same kind.
func appendFlat[L And | Or](parts L, x Expr) L {
	if l, ok := x.(L); ok {
		return append(parts, l...)
	}
	return append(parts, x)
}

// enter notes one more level of nesting at pos; leave undoes it.
func (p *parser) enter(pos int) *Error {
	p.depth++
	if p.depth > MaxDepth {
		return errorf(pos, "nested more than %d deep", MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) unary() (Expr, *Error) {
	t := p.peek()
	if t.kind != tokMinus && t.kind != tokNot {
		return p.primary()
	}
	p.next()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	if !startsUnary(p.peek().kind) {
		// The lexer puts something after every dash.
		return nil, errorf(t.pos, `"NOT" needs a word after it`)
	}
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	return Not{X: x}, nil
}

func (p *parser) primary() (Expr, *Error) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		defer p.leave()
		switch p.peek().kind {
		case tokRParen:
			return nil, errorf(t.pos, `nothing between "(" and ")"`)
		case tokEOF:
			return nil, errorf(t.pos, `missing ")"`)
		}
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.next().kind != tokRParen {
			return nil, errorf(t.pos, `missing ")"`)
		}
		return x, nil
	case tokPhrase:
		if err := p.term(t.pos); err != nil {
			return nil, err
		}
		return phrase(AnyField, t.text, t.pos)
	case tokWord:
		if err := p.term(t.pos); err != nil {
			return nil, err
		}
		x, err := p.word(t)
		if w, ok := x.(Word); ok && w.Prefix && prefixLen(w.Value) > 0 {
			if p.prefixes++; p.prefixes > MaxPrefixes {
				return nil, errorf(t.pos, `more than %d words ending in "*"`, MaxPrefixes)
			}
		}
		return x, err
	}
	return nil, errorf(t.pos, "expected a word") // unreachable: see startsUnary
}

// term counts one more term, at pos.
func (p *parser) term(pos int) *Error {
	p.terms++
	if p.terms > MaxTerms {
		return errorf(pos, "more than %d terms", MaxTerms)
	}
	return nil
}

// phrase makes the words between quotes at pos a Phrase, or a Word when
// there is only one.
func phrase(field, s string, pos int) (Expr, *Error) {
	words := strings.Fields(s)
	switch len(words) {
	case 0:
		return nil, errorf(pos, "nothing between the quotes")
	case 1:
		return Word{Field: field, Value: words[0]}, nil
	}
	return Phrase{Field: field, Words: words}, nil
}

// word makes a Word of s at pos, a prefix when it ends in "*".
func word(field, s string, pos int) (Expr, *Error) {
	i := strings.IndexByte(s, '*')
	switch {
	case i < 0:
		return Word{Field: field, Value: s}, nil
	case s == "*":
		return nil, errorf(pos, `"*" needs the start of a word before it, as in sun*`)
	case i < len(s)-1:
		return nil, errorf(pos+i, `"*" only ends a word, as in sun*`)
	}
	if n := prefixLen(s[:i]); n > 0 && n < MinPrefix {
		return nil, errorf(pos, `"*" needs at least %d letters or digits right before it, as in su*`, MinPrefix)
	}
	return Word{Field: field, Value: s[:i], Prefix: true}, nil
}

// prefixLen counts the letters and digits of the last word of s, the one
// a prefix expands: what the engines' tokenizers keep of it (they split
// at anything else and drop combining marks).
func prefixLen(s string) int {
	n := 0
	for s != "" {
		r, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			n++
		case n > 0:
			return n
		}
	}
	return n
}

// Field names. The order is the one errors list them in.
var fieldNames = append(append([]string{Title, Filename, Description, Camera}, MetaFields...),
	"tag", "type", "ext", "path", "by", "before", "after", "taken", "taken-before", "taken-after",
	Size, Width, Height, "orientation", "has")

// textField tells whether name is a field of words (a Word or a Phrase).
func textField(name string) bool {
	return name == Title || name == Filename || name == Description || name == Camera || IsMetaField(name)
}

func knownField(name string) bool {
	for _, f := range fieldNames {
		if f == name {
			return true
		}
	}
	return false
}

func numericField(name string) bool { return name == Size || name == Width || name == Height }

// fieldSyntax reports whether the word s is written as a field term, and
// returns the field's name (lower case) and the byte that follows it.
// Parse and Format share it, so that Format quotes what Parse would take
// for a field.
func fieldSyntax(s string) (name string, sep byte, ok bool) {
	letters := func(i int) int {
		for i < len(s) {
			r, size := utf8.DecodeRuneInString(s[i:])
			if !unicode.IsLetter(r) {
				break
			}
			i += size
		}
		return i
	}
	i := letters(0)
	if i == 0 || i == len(s) {
		return "", 0, false
	}
	// A known field whose name holds dashes (taken-before:).
	for j := i; j < len(s) && s[j] == '-'; {
		k := letters(j + 1)
		if k == j+1 || k == len(s) {
			break
		}
		if s[k] == ':' && knownField(strings.ToLower(s[:k])) {
			return strings.ToLower(s[:k]), ':', true
		}
		j = k
	}
	name, sep = strings.ToLower(s[:i]), s[i]
	switch sep {
	case ':':
		return name, sep, true
	case '<', '>':
		return name, sep, knownField(name)
	case '=':
		return name, sep, numericField(name)
	}
	return "", 0, false
}

func (p *parser) word(t token) (Expr, *Error) {
	name, sep, ok := fieldSyntax(t.text)
	if !ok {
		return word(AnyField, t.text, t.pos)
	}
	if !knownField(name) {
		return nil, errorf(t.pos, "unknown field %q: use %s or %s", t.text[:strings.IndexByte(t.text, sep)],
			strings.Join(fieldNames[:len(fieldNames)-1], ", "), fieldNames[len(fieldNames)-1])
	}
	n := strings.IndexByte(t.text, sep) // the length of the name as typed
	if numericField(name) {
		if sep != '<' && sep != '>' {
			return nil, errorf(t.pos+n, `%s compares with <, >, <= or >=, as in %s`, name, numericExample(name))
		}
		return compare(name, t.text[n:], t.pos+n)
	}
	if sep != ':' {
		return nil, errorf(t.pos+n, `use %s:, not %s%c`, name, name, sep)
	}

	v, vpos, quoted := t.text[n+1:], t.pos+n+1, false
	if next := p.peek(); v == "" && next.kind == tokPhrase && next.pos == vpos {
		p.next()
		v, vpos, quoted = next.text, next.pos, true
	}
	if v == "" && !quoted {
		return nil, errorf(t.pos, "%s: needs a value", name)
	}
	if quoted && !textField(name) {
		v = strings.TrimSpace(v)
		if v == "" {
			return nil, errorf(vpos, "%s: needs a value", name)
		}
	}

	switch {
	case textField(name):
		if quoted {
			return phrase(name, v, vpos)
		}
		return word(name, v, vpos)
	case name == "taken":
		return period(v, vpos)
	}
	switch name {
	case Title, Filename, Description, Camera:
		if quoted {
			return phrase(name, v, vpos)
		}
		return word(name, v, vpos)
	case "tag":
		return Tag{Name: v}, nil
	case "by":
		return By{Login: v}, nil
	case "type":
		switch k := strings.ToLower(v); k {
		case KindImage, KindVideo, KindAudio, KindDocument, KindOther:
			return Kind{Kind: k}, nil
		}
		return nil, errorf(vpos, "type is image, video, audio, document or other")
	case "ext":
		e := strings.TrimLeft(strings.ToLower(v), ".")
		if e == "" {
			return nil, errorf(vpos, "ext: needs an extension, as in ext:jpg")
		}
		if strings.IndexFunc(e, unicode.IsSpace) >= 0 {
			return nil, errorf(vpos, "ext: takes one extension, as in ext:jpg")
		}
		return Ext{Ext: e}, nil
	case "path":
		return Path{Prefix: cleanPath(v)}, nil
	case "before", "after", "taken-before", "taken-after":
		return date(name, v, vpos)
	case "orientation":
		switch o := strings.ToLower(v); o {
		case Landscape, Portrait, Square:
			return Orientation{Value: o}, nil
		}
		return nil, errorf(vpos, "orientation is landscape, portrait or square")
	case "has":
		if h := strings.ToLower(v); h == "gps" {
			return Has{What: h}, nil
		}
		return nil, errorf(vpos, "has: takes gps")
	}
	panic("search: field " + name + " has no parser") // fieldNames and this switch disagree
}

// cleanPath writes a folder as assets' paths are written: backslashes
// as slashes, no empty or "." segment, no slash at either end. A ".."
// stays a segment, which no stored path has, so it matches nothing.
func cleanPath(v string) string {
	var segs []string
	for _, s := range strings.Split(strings.ReplaceAll(v, `\`, "/"), "/") {
		if s = strings.TrimSpace(s); s != "" && s != "." {
			segs = append(segs, s)
		}
	}
	return strings.Join(segs, "/")
}

func numericExample(field string) string {
	if field == Size {
		return "size>10MB"
	}
	return field + ">1000"
}

// date parses the value of before:, after:, taken-before: or taken-after:
// (field) at pos.
func date(field, s string, pos int) (Expr, *Error) {
	from, to, err := dayMonthOrYear(field, s, pos)
	if err != nil {
		return nil, err
	}
	before := strings.HasSuffix(field, "before")
	at := to
	if before {
		at = from
	}
	return Date{Before: before, At: at, Taken: strings.HasPrefix(field, "taken")}, nil
}

// period parses the value of taken: at pos.
func period(s string, pos int) (Expr, *Error) {
	from, to, err := dayMonthOrYear("taken", s, pos)
	if err != nil {
		return nil, err
	}
	return Taken{From: from, To: to}, nil
}

// dayMonthOrYear parses YYYY, YYYY-MM or YYYY-MM-DD, the value of field,
// at pos, into the start of the period and the start of the next one.
func dayMonthOrYear(field, s string, pos int) (from, to time.Time, _ *Error) {
	bad := &Error{Pos: pos, Msg: field + ": takes a date: YYYY, YYYY-MM or YYYY-MM-DD"}
	if len(s) != 4 && len(s) != 7 && len(s) != 10 {
		return from, to, bad
	}
	var n [3]int // year, month, day
	for i, part := range strings.Split(s, "-") {
		if i >= len(n) || len(part) != [...]int{4, 2, 2}[i] {
			return from, to, bad
		}
		for _, c := range []byte(part) {
			if c < '0' || c > '9' {
				return from, to, bad
			}
			n[i] = n[i]*10 + int(c-'0')
		}
	}
	y, m, d := n[0], time.Month(n[1]), n[2]
	switch {
	case len(s) == 4:
		m, d = time.January, 1
	case len(s) == 7:
		d = 1
	}
	if m < time.January || m > time.December || d < 1 || d > time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return from, to, errorf(pos, "%s: %s is not a date", field, s)
	}
	from = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	switch len(s) {
	case 4:
		to = from.AddDate(1, 0, 0)
	case 7:
		to = from.AddDate(0, 1, 0)
	default:
		to = from.AddDate(0, 0, 1)
	}
	return from, to, nil
}

// Units of size, largest last.
var units = []struct {
	name  string
	bytes int64
}{{"B", 1}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"TB", 1 << 40}}

// compare parses the operator and value of a numeric field; s starts with
// the operator, at pos.
func compare(field, s string, pos int) (Expr, *Error) {
	op := s[:1]
	if len(s) > 1 && s[1] == '=' {
		op = s[:2]
	}
	v, vpos := s[len(op):], pos+len(op)
	if v == "" {
		return nil, errorf(pos, "%s%s needs a number, as in %s", field, op, numericExample(field))
	}
	if v[0] == '-' {
		return nil, errorf(vpos, "%s can't be negative", field)
	}
	c := Compare{Field: field, Op: op}
	if field != Size {
		for _, r := range v {
			if r < '0' || r > '9' {
				return nil, errorf(vpos, "%s is a whole number of pixels, as in %s", field, numericExample(field))
			}
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, errorf(vpos, "%s is too large", field)
		}
		c.Value = n
		return c, nil
	}

	// A decimal number, then a unit.
	i := 0
	digits, dots := 0, 0
	for ; i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.'); i++ {
		if v[i] == '.' {
			dots++
		} else {
			digits++
		}
	}
	if digits == 0 || dots > 1 {
		return nil, errorf(vpos, "size takes a number, as in size>10MB or size<1.5GB")
	}
	num, unit := v[:i], v[i:]
	bytes := int64(0)
	for _, u := range units {
		// The length keeps out the Kelvin sign, which folds to k.
		if len(unit) == len(u.name) && strings.EqualFold(unit, u.name) || unit == "" && u.bytes == 1 {
			bytes = u.bytes
		}
	}
	if bytes == 0 {
		return nil, errorf(vpos+i, "unknown unit %q: use B, KB, MB, GB or TB", unit)
	}
	whole, frac, _ := strings.Cut(num, ".")
	n, _ := new(big.Int).SetString("0"+whole+frac, 10)
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	b := roundDiv(n.Mul(n, big.NewInt(bytes)), scale)
	if !b.IsInt64() {
		return nil, errorf(vpos, "size is too large")
	}
	c.Value = b.Int64()
	return c, nil
}

// roundDiv is a/b rounded to the nearest integer, half up, for a >= 0 and
// b > 0.
func roundDiv(a, b *big.Int) *big.Int {
	n := new(big.Int).Lsh(a, 1)
	n.Add(n, b)
	return n.Quo(n, new(big.Int).Lsh(b, 1))
}
