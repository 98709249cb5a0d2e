package search

import (
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Format writes x back as a query in canonical form: keywords as "-" and
// "OR", single spaces, parentheses only where needed, lower-case field
// names, the shortest spelling of sizes and dates, quotes only where
// needed. Format(nil) is "".
//
// For any tree Parse returned, Parse(Format(x)) is deeply equal to x, as
// long as the query fits in MaxQueryLen: Format may be a few bytes longer
// than what was typed, since it puts a space between terms that can be
// typed without one ("a b""c d").
//
// Tag.ID and By.UserID are not part of the query and are left out.
func Format(x Expr) string {
	var b strings.Builder
	format(&b, x)
	return b.String()
}

func format(b *strings.Builder, x Expr) {
	switch x := x.(type) {
	case And:
		for i, part := range x {
			if i > 0 {
				b.WriteByte(' ')
			}
			_, or := part.(Or)
			_, and := part.(And)
			group(b, part, or || and)
		}
	case Or:
		for i, part := range x {
			if i > 0 {
				b.WriteString(" OR ")
			}
			_, or := part.(Or)
			group(b, part, or)
		}
	case Not:
		b.WriteByte('-')
		_, or := x.X.(Or)
		_, and := x.X.(And)
		group(b, x.X, or || and)
	case Word:
		switch {
		case x.Field != "":
			b.WriteString(x.Field)
			b.WriteByte(':')
			if x.Prefix || bareValue(x.Value) && !strings.Contains(x.Value, "*") {
				b.WriteString(x.Value)
			} else {
				quote(b, x.Value)
			}
		case x.Prefix || bareWord(x.Value):
			b.WriteString(x.Value)
		default:
			quote(b, x.Value)
		}
		if x.Prefix {
			b.WriteByte('*')
		}
	case Phrase:
		if x.Field != "" {
			b.WriteString(x.Field)
			b.WriteByte(':')
		}
		quote(b, strings.Join(x.Words, " "))
	case Tag:
		value(b, "tag", x.Name)
	case Kind:
		value(b, "type", x.Kind)
	case Ext:
		value(b, "ext", x.Ext)
	case Path:
		if x.Prefix == "" {
			b.WriteString("path:/")
		} else {
			value(b, "path", x.Prefix)
		}
	case By:
		value(b, "by", x.Login)
	case Compare:
		b.WriteString(x.Field)
		b.WriteString(x.Op)
		if x.Field == Size {
			b.WriteString(formatSize(x.Value))
		} else {
			b.WriteString(strconv.FormatInt(x.Value, 10))
		}
	case Date:
		formatDate(b, x)
	case Taken:
		layout := "2006-01-02"
		switch {
		case x.To.Equal(x.From.AddDate(1, 0, 0)):
			layout = "2006"
		case x.To.Equal(x.From.AddDate(0, 1, 0)):
			layout = "2006-01"
		}
		b.WriteString("taken:")
		b.WriteString(x.From.UTC().Format(layout))
	case Orientation:
		value(b, "orientation", x.Value)
	case Has:
		value(b, "has", x.What)
	}
}

// group writes x, in parentheses if paren.
func group(b *strings.Builder, x Expr, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	format(b, x)
	if paren {
		b.WriteByte(')')
	}
}

// value writes a field term whose value is taken as is.
func value(b *strings.Builder, field, v string) {
	b.WriteString(field)
	b.WriteByte(':')
	if bareValue(v) {
		b.WriteString(v)
	} else {
		quote(b, v)
	}
}

func quote(b *strings.Builder, s string) {
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}

// bareValue reports whether s is read back as one word.
func bareValue(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '(' || r == ')' || r == '"'
	}) < 0
}

// bareWord reports whether s, outside a field, is read back as the word s.
func bareWord(s string) bool {
	if !bareValue(s) || s[0] == '-' || strings.Contains(s, "*") {
		return false
	}
	switch s {
	case "AND", "OR", "NOT":
		return false
	}
	_, _, field := fieldSyntax(s)
	return !field
}

// formatSize writes n bytes in the shortest way that Parse reads back as
// n: 1536 rather than 1.5KB, but 1.5GB rather than 1610612736.
func formatSize(n int64) string {
	best := strconv.FormatInt(n, 10)
	if n <= 0 {
		return best
	}
	bn := big.NewInt(n)
	ten := big.NewInt(10)
	for _, u := range units[1:] {
		ub := big.NewInt(u.bytes)
		// With k decimals, the candidate is d/10^k where d is n/u*10^k
		// rounded. 13 decimals tell bytes of a TB apart.
		scale := big.NewInt(1)
		for k := 0; k <= 13; k++ {
			d := roundDiv(new(big.Int).Mul(bn, scale), ub)
			if d.Sign() > 0 && roundDiv(new(big.Int).Mul(d, ub), scale).Cmp(bn) == 0 {
				s := decimal(d.String(), k) + u.name
				if len(s) < len(best) {
					best = s
				}
				break
			}
			scale.Mul(scale, ten)
		}
	}
	return best
}

// decimal writes the integer of digits s divided by 10^k, without
// trailing zeros after the point.
func decimal(s string, k int) string {
	if k == 0 {
		return s
	}
	if len(s) <= k {
		s = strings.Repeat("0", k-len(s)+1) + s
	}
	s = s[:len(s)-k] + "." + s[len(s)-k:]
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}

// formatDate writes the shortest period that Parse reads back as d.
func formatDate(b *strings.Builder, d Date) {
	at := d.At.UTC()
	layout := "2006-01-02"
	switch {
	case at.Month() == time.January && at.Day() == 1:
		layout = "2006"
	case at.Day() == 1:
		layout = "2006-01"
	}
	if d.Taken {
		b.WriteString("taken-")
	}
	if d.Before {
		b.WriteString("before:")
	} else {
		// after: names the period that ends at At.
		b.WriteString("after:")
		switch layout {
		case "2006":
			at = at.AddDate(-1, 0, 0)
		case "2006-01":
			at = at.AddDate(0, -1, 0)
		default:
			at = at.AddDate(0, 0, -1)
		}
	}
	b.WriteString(at.Format(layout))
}
