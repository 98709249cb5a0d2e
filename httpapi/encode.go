package httpapi

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"
)

// node is one element of a document, as Rails' to_xml wrote it: a typed
// leaf, a record of fields, or a typed array. The same tree is written as
// XML or as JSON, so the two formats cannot drift apart.
type node struct {
	name  string
	kind  kind
	text  string // for leaves
	null  bool
	attrs []node // XML attributes of a leaf; in JSON they join the leaf's object
	kids  []node // fields of a record, items of an array
}

type kind uint8

const (
	kString kind = iota
	kInteger
	kBoolean
	kDatetime
	kFloat
	kRecord
	kArray
)

func str(name, v string) node { return node{name: name, text: v} }

// strOrNil is a string that is nil when empty.
func strOrNil(name, v string) node { return node{name: name, text: v, null: v == ""} }

func integer(name string, v int64) node {
	return node{name: name, kind: kInteger, text: strconv.FormatInt(v, 10)}
}

func boolean(name string, v bool) node {
	return node{name: name, kind: kBoolean, text: strconv.FormatBool(v)}
}

// datetime is RFC 3339 in UTC, nil when zero.
func datetime(name string, t time.Time) node {
	if t.IsZero() {
		return node{name: name, kind: kDatetime, null: true}
	}
	return node{name: name, kind: kDatetime, text: t.UTC().Format(time.RFC3339)}
}

func null(name string, k kind) node { return node{name: name, kind: k, null: true} }

// optInteger is an integer that 0 leaves unset: a null of its kind (an id
// of nothing, a status not yet known).
func optInteger(name string, v int64) node {
	if v == 0 {
		return null(name, kInteger)
	}
	return integer(name, v)
}

func record(name string, fields ...node) node { return node{name: name, kind: kRecord, kids: fields} }

func array(name string, items []node) node { return node{name: name, kind: kArray, kids: items} }

// withAttrs gives a leaf XML attributes, as <plan ssl="true">deluxe</plan>.
func withAttrs(n node, attrs ...node) node { n.attrs = attrs; return n }

var typeAttr = [...]string{kInteger: "integer", kBoolean: "boolean", kDatetime: "datetime", kFloat: "float", kArray: "array"}

// writeXML writes the document with its XML declaration.
func writeXML(b *bytes.Buffer, n node) {
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	xmlNode(b, n)
	b.WriteByte('\n')
}

func xmlNode(b *bytes.Buffer, n node) {
	b.WriteByte('<')
	b.WriteString(n.name)
	if t := typeAttr[n.kind]; t != "" {
		b.WriteString(` type="` + t + `"`)
	}
	if n.null {
		b.WriteString(` nil="true"/>`)
		return
	}
	for _, a := range n.attrs {
		b.WriteString(" " + a.name + `="`)
		xmlText(b, a.text)
		b.WriteByte('"')
	}
	if n.kind != kRecord && n.kind != kArray {
		if n.text == "" {
			b.WriteString("/>")
			return
		}
		b.WriteByte('>')
		xmlText(b, n.text)
	} else {
		if len(n.kids) == 0 {
			b.WriteString("/>")
			return
		}
		b.WriteByte('>')
		for _, k := range n.kids {
			xmlNode(b, k)
		}
	}
	b.WriteString("</" + n.name + ">")
}

// writeJSON writes the document as JSON: a record is an object, an array
// is an array, and the root's name is dropped.
func writeJSON(b *bytes.Buffer, n node) {
	jsonValue(b, n)
	b.WriteByte('\n')
}

func jsonValue(b *bytes.Buffer, n node) {
	switch {
	case n.null:
		b.WriteString("null")
	case len(n.attrs) > 0: // attributes become fields: {"name": text, attrs...}
		b.WriteByte('{')
		if n.kind != kRecord {
			b.WriteString(`"name":`)
			jsonString(b, n.text)
			b.WriteByte(',')
		}
		for i, a := range n.attrs {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonString(b, a.name)
			b.WriteByte(':')
			jsonValue(b, a)
		}
		b.WriteByte('}')
	case n.kind == kRecord:
		b.WriteByte('{')
		for i, k := range n.kids {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonString(b, k.name)
			b.WriteByte(':')
			jsonValue(b, k)
		}
		b.WriteByte('}')
	case n.kind == kArray:
		b.WriteByte('[')
		for i, k := range n.kids {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonValue(b, k)
		}
		b.WriteByte(']')
	case n.kind == kInteger || n.kind == kBoolean || n.kind == kFloat:
		b.WriteString(n.text)
	default:
		jsonString(b, n.text)
	}
}

// jsonString writes s as a JSON string, byte for byte as json.Marshal
// does (encode_test.go holds it to that): it escapes <, > and & too, which
// keeps a JSONP answer inert in an HTML context, and U+2028 and U+2029; an
// invalid UTF-8 byte is \ufffd.
func jsonString(b *bytes.Buffer, s string) {
	b.Write(appendJSONString(b.AvailableBuffer(), s))
}

const hexDigits = "0123456789abcdef"

func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// xmlText writes s as XML text or an attribute's value, byte for byte as
// xml.EscapeText does (encode_test.go holds it to that): the five
// special characters, tab, newline and carriage return as references,
// and what XML cannot hold (invalid UTF-8, control characters) as U+FFFD.
func xmlText(b *bytes.Buffer, s string) {
	b.Write(appendXMLText(b.AvailableBuffer(), s))
}

func appendXMLText(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\'' && c != '&' && c != '<' && c != '>' {
			i++
			continue
		}
		r, width := utf8.DecodeRuneInString(s[i:])
		i += width
		var esc string
		switch r {
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			if xmlChar(r) && (r != utf8.RuneError || width != 1) {
				continue
			}
			esc = "\uFFFD"
		}
		dst = append(dst, s[last:i-width]...)
		dst = append(dst, esc...)
		last = i
	}
	return append(dst, s[last:]...)
}

// xmlChar tells whether XML 1.0 may hold the character (its Char
// production).
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
