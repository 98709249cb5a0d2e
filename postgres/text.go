package postgres

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The text that reaches PostgreSQL's full-text search, indexed or
// searched, is first folded and split here, the same way on both sides:
//
//   - compatibility decomposition (NFKD) and the dropping of combining
//     marks, so that Café, CAFÉ and cafe are one word and Ärger is arger,
//     as the SQLite store's remove_diacritics does; this needs no unaccent
//     extension, which a managed server may not offer;
//   - lower case;
//   - words are runs of letters and digits; everything else separates
//     them, so that IMG_2041.jpg is the words img 2041 jpg and
//     report-q3.pdf is report q3 pdf (PostgreSQL's own parser would keep
//     either whole, as a file name), and no character of a query is
//     tsquery syntax.
//
// Stemming is left to PostgreSQL (the damask configuration: Snowball
// English without stop words).

// maxWord is the longest word kept, in bytes: PostgreSQL drops longer ones
// (2047) with a notice, and nobody searches for them.
const maxWord = 200

// maxBody is how much of an asset's extracted text is indexed: a tsvector
// holds at most 1 MB, and positions stop counting at 16383 anyway.
const maxBody = 256 << 10

// words folds s and splits it into words.
func words(s string) []string {
	var (
		out []string
		b   strings.Builder
	)
	flush := func() {
		if b.Len() > 0 && b.Len() <= maxWord {
			out = append(out, b.String())
		}
		b.Reset()
	}
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// A combining mark: dropped, without ending the word.
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			b.WriteRune(unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()
	return out
}

// folded is s as the index receives it: its words, joined by spaces.
func folded(s string) string { return strings.Join(words(s), " ") }

// tsquery is the to_tsquery text of words that follow each other (a
// phrase), each limited to the weights w ("" for any), the last one a
// prefix when prefix is set. The words hold only letters and digits, so
// quoting them is enough.
func tsquery(ws []string, prefix bool, w string) string {
	parts := make([]string, len(ws))
	for i, x := range ws {
		label := w
		if prefix && i == len(ws)-1 {
			label = "*" + w
		}
		parts[i] = "'" + x + "'"
		if label != "" {
			parts[i] += ":" + label
		}
	}
	return strings.Join(parts, " <-> ")
}
