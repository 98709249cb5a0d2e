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
//	size>10MB size<1GB   file size (B, KB, MB, GB, TB; 1 KB = 1024 bytes)
//	width>1000 height<=800
//	orientation:portrait landscape, portrait or square
//	has:gps              the file carries a location
package search

import (
	"strconv"
	"strings"
	"time"
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
type Date struct {
	Before bool
	At     time.Time
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
