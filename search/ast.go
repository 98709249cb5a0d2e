// Package search is the query language of Damask: a query typed in the
// API's query parameter or the web search box is parsed once into a tree
// of Expr values, which each metadata store compiles to its own engine
// (FTS5 in SQLite, full-text search in PostgreSQL). It depends on the
// standard library only.
//
// The language:
//
//	sunset beach         both words (in any text field)
//	"red car"            the exact phrase
//	sun*                 words starting with sun (at least two letters: su*)
//	-draft               not the word draft
//	cat OR dog           either
//	(cat OR dog) -draft  grouping
//	title:sunset         a word of one field: title, filename, description, camera
//	tag:"sky blue"       an exact tag name
//	type:image           image, video, audio, document or other
//	ext:jpg              the filename's extension
//	path:photos/2024     in the folder photos/2024 or below it
//	by:ann               uploaded by the user whose login is ann
//	before:2024-05       added before May 2024 (YYYY, YYYY-MM or YYYY-MM-DD)
//	after:2024           added after the end of 2024
//	taken:2024-05        taken in May 2024 (the date the file gives)
//	taken-before:2024    taken before 2024; taken-after: after the end of it
//	country:germany      a word of a field of the file's metadata: creator,
//	                     copyright, credit, source, headline, caption,
//	                     location, city, state, country, lens
//	size>10MB size<1GB   file size (B, KB, MB, GB, TB; 1 KB = 1024 bytes)
//	width>1000 height<=800
//	orientation:portrait landscape, portrait or square
//	has:gps              the file carries a location
package search

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Expr is a node of a parsed query. Its one method only marks the node
// types. damask.Query is the same interface, so that a store's filter
// holds a query without the root package importing this one.
type Expr interface{ SearchNode() }

// And matches what all of its parts match.
type And []Expr

// Or matches what any of its parts matches.
type Or []Expr

// Not matches what X does not.
type Not struct{ X Expr }

// Text fields a Word or Phrase may be limited to. AnyField is all the
// asset's text: title, description, filename, tag names, extracted
// metadata and document text.
const (
	AnyField    = ""
	Title       = "title"
	Filename    = "filename"
	Description = "description"
	Camera      = "camera"
)

// Text fields of the file's own metadata (IPTC, XMP, EXIF) a Word or
// Phrase may be limited to; their words are also words of AnyField.
const (
	Creator   = "creator"
	Copyright = "copyright"
	Credit    = "credit"
	Source    = "source"
	Headline  = "headline"
	Caption   = "caption"
	Location  = "location"
	City      = "city"
	State     = "state"
	Country   = "country"
	Lens      = "lens"
)

// MetaFields are the fields of the file's metadata, in the order errors
// list them.
var MetaFields = []string{Creator, Copyright, Credit, Source, Headline, Caption, Location, City, State, Country, Lens}

// IsMetaField tells whether field is one of MetaFields.
func IsMetaField(field string) bool {
	for _, f := range MetaFields {
		if f == field {
			return true
		}
	}
	return false
}

// Word matches one word of a text field; with Prefix, any word that
// starts with Value.
type Word struct {
	Field  string
	Value  string
	Prefix bool
}

// Phrase matches words that follow each other in a text field.
type Phrase struct {
	Field string
	Words []string
}

// Tag matches assets that carry the tag named Name. The service resolves
// the name to the account's tag and sets ID; an ID of 0 (no such tag)
// matches nothing.
type Tag struct {
	Name string
	ID   int64
}

// Kinds of assets, from their media type.
const (
	KindImage    = "image"
	KindVideo    = "video"
	KindAudio    = "audio"
	KindDocument = "document"
	KindOther    = "other"
)

// Kind matches assets of one kind.
type Kind struct{ Kind string }

// Ext matches the extension of the filename, lowercase, without its dot.
type Ext struct{ Ext string }

// Path matches assets in the folder Prefix or in any folder below it:
// path:photos matches photos and photos/2024, not photography. Prefix
// is as the asset's Path field writes folders, "a/b", with no slash at
// either end; an empty Prefix (path:/) is the top, which holds
// everything. Folder names keep their case.
type Path struct{ Prefix string }

// PathBounds answers the range of paths below the folder prefix, for the
// stores' index: every path p with lo <= p < hi (compared byte by byte)
// starts with prefix + "/", since '0' is the byte after '/'.
func PathBounds(prefix string) (lo, hi string) { return prefix + "/", prefix + "0" }

// By matches assets uploaded by the user whose login is Login. The service
// sets UserID; 0 (no such user) matches nothing.
type By struct {
	Login  string
	UserID int64
}

// Numeric fields a Compare may test.
const (
	Size   = "size"
	Width  = "width"
	Height = "height"
)

// Comparison operators.
const (
	Less         = "<"
	LessEqual    = "<="
	Greater      = ">"
	GreaterEqual = ">="
)

// Compare tests a numeric field against a value (bytes for size, pixels
// for width and height).
type Compare struct {
	Field string
	Op    string
	Value int64
}

// Date matches assets added before At (Before) or at or after At (not
// Before). The parser sets At to the start of the period for before: and to
// the end of the period for after:, so both exclude the period named.
// With Taken, it is the date the photo or video was taken (taken-before:,
// taken-after:), which an asset without one never matches.
type Date struct {
	Before bool
	At     time.Time
	Taken  bool
}

// Taken matches assets taken at or after From and before To: a year, a
// month or a day (taken:2024, taken:2024-05, taken:2024-05-17).
type Taken struct {
	From, To time.Time
}

// Orientations of images and videos. Square means equal sides.
const (
	Landscape = "landscape"
	Portrait  = "portrait"
	Square    = "square"
)

// Orientation matches assets whose width and height are known and have
// this relation.
type Orientation struct{ Value string }

// Has matches assets that carry something; the only one so far is "gps".
type Has struct{ What string }

func (And) SearchNode()         {}
func (Or) SearchNode()          {}
func (Not) SearchNode()         {}
func (Word) SearchNode()        {}
func (Phrase) SearchNode()      {}
func (Tag) SearchNode()         {}
func (Kind) SearchNode()        {}
func (Ext) SearchNode()         {}
func (Path) SearchNode()        {}
func (By) SearchNode()          {}
func (Compare) SearchNode()     {}
func (Date) SearchNode()        {}
func (Taken) SearchNode()       {}
func (Orientation) SearchNode() {}
func (Has) SearchNode()         {}

// Error is a query that cannot be parsed; Pos is the byte offset of the
// trouble, counted from 0, and Char the character it is, counted from 1
// (0 when unknown).
type Error struct {
	Pos  int
	Char int
	Msg  string
}

func (e *Error) Error() string {
	n := e.Char
	if n == 0 {
		n = e.Pos + 1
	}
	return "at character " + strconv.Itoa(n) + ": " + e.Msg
}

// KindOf classifies a media type.
func KindOf(contentType string) string {
	ct, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	ct = strings.TrimSpace(ct)
	switch {
	case strings.HasPrefix(ct, "image/"):
		return KindImage
	case strings.HasPrefix(ct, "video/"):
		return KindVideo
	case strings.HasPrefix(ct, "audio/"):
		return KindAudio
	case strings.HasPrefix(ct, "text/"), ct == "application/pdf", ct == "application/rtf", ct == "application/msword",
		ct == "application/vnd.ms-excel", ct == "application/vnd.ms-powerpoint", ct == "application/postscript",
		ct == "application/epub+zip", strings.HasPrefix(ct, "application/vnd.openxmlformats-officedocument."),
		strings.HasPrefix(ct, "application/vnd.oasis.opendocument."):
		return KindDocument
	}
	return KindOther
}

// MaxFallbackWords bounds the words a forgiving search weighs: when all
// the words of a query together match nothing, the search falls back to
// the assets that match most of its first MaxFallbackWords words, each
// one a term the engines look up (bench/notes.md: a search of 8 words
// OR-ed stays under the search targets at 1M assets).
const MaxFallbackWords = 8

// Fallback splits a query for the forgiving search: words holds the
// required words and phrases of any field at its top level (with a letter
// or digit, at most MaxFallbackWords of them, the first ones), rest the
// other parts, still all required (fields, exclusions, groups, and any
// words past the bound). ok is false when there are fewer than two such
// words: dropping words of one gives nothing but the query itself.
func Fallback(e Expr) (words []Expr, rest And, ok bool) {
	parts := []Expr{e}
	if a, isAnd := e.(And); isAnd {
		parts = a
	}
	for _, x := range parts {
		if len(words) < MaxFallbackWords && looseWord(x) {
			words = append(words, x)
			continue
		}
		rest = append(rest, x)
	}
	return words, rest, len(words) >= 2
}

// looseWord tells whether x is a word or phrase of any field that holds a
// letter or digit, one the engines index.
func looseWord(x Expr) bool {
	var s string
	switch x := x.(type) {
	case Word:
		if x.Field != AnyField {
			return false
		}
		s = x.Value
	case Phrase:
		if x.Field != AnyField {
			return false
		}
		s = strings.Join(x.Words, " ")
	default:
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0
}

// FallbackRest is the inverse of how a forgiving search is written, a
// query of the form And{rest..., Or(words)} (or Or(words) alone): it
// answers rest, the parts besides the words, so that a store can ask for
// "rest and at least two words" without the Or, which adds nothing to it
// but work. A query of another form is answered whole, which is still
// right, only slower.
func FallbackRest(q Expr, words int) And {
	parts := []Expr{q}
	if a, ok := q.(And); ok {
		parts = a
	}
	if n := len(parts); n > 0 {
		if or, ok := parts[n-1].(Or); ok && len(or) == words {
			return parts[: n-1 : n-1]
		}
	}
	return parts
}

// AtLeast matches what at least n of words match, for n of 1 (any of
// them) or 2 (any two: w1 AND (w2 OR w3 ...) OR w2 AND (w3 ...) OR ...,
// each word named at most twice as often as there are words, not once
// per pair). Stores use it to gather the candidates of a forgiving search.
func AtLeast(n int, words []Expr) Expr {
	if n <= 1 || len(words) < 2 {
		return Or(words)
	}
	var any Or
	for i := 0; i+1 < len(words); i++ {
		later := Expr(Or(words[i+1:]))
		if len(words[i+1:]) == 1 {
			later = words[i+1]
		}
		any = append(any, And{words[i], later})
	}
	if len(any) == 1 {
		return any[0]
	}
	return any
}
