package httpapi

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"damask"
)

// The documents' writer escapes strings itself instead of calling
// encoding/xml and encoding/json for each; these tests hold it to the
// bytes those packages wrote before, string by string and document by
// document, in both formats.

// texts are the shapes of strings that escaping must get right.
var texts = []string{
	"", "plain", "Harbour at dusk 12", "Zürich – Straße, 東京, 🌅",
	`<b>"quoted" & 'single'</b>`, "a\tb\nc\rd", "\x00\x01\x1f\x7f", "\b\f",
	"\xff", "a\xc3", "\xed\xa0\x80", "\xef\xbf\xbd", "\ufffe\uffff", "\U0010ffff",
	"\u2028\u2029", "back\\slash", "]]>", "&amp;", "\u0085\u00a0",
}

func stdXML(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func stdJSON(s string) string {
	out, _ := json.Marshal(s)
	return string(out)
}

func TestEscapesAsStd(t *testing.T) {
	for _, s := range texts {
		var b bytes.Buffer
		xmlText(&b, s)
		if got, want := b.String(), stdXML(s); got != want {
			t.Errorf("xmlText(%q) = %q, encoding/xml %q", s, got, want)
		}
		b.Reset()
		jsonString(&b, s)
		if got, want := b.String(), stdJSON(s); got != want {
			t.Errorf("jsonString(%q) = %q, encoding/json %q", s, got, want)
		}
	}
}

func FuzzEscapes(f *testing.F) {
	for _, s := range texts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b bytes.Buffer
		b.WriteString("prefix")
		xmlText(&b, s)
		if got, want := b.String(), "prefix"+stdXML(s); got != want {
			t.Errorf("xmlText(%q) = %q, encoding/xml %q", s, got, want)
		}
		b.Reset()
		jsonString(&b, s)
		if got, want := b.String(), stdJSON(s); got != want {
			t.Errorf("jsonString(%q) = %q, encoding/json %q", s, got, want)
		}
	})
}

// stdWrite writes a document as the writer did with encoding/xml and
// encoding/json escaping each string.
func stdWrite(f format, n node) string {
	var b strings.Builder
	var xmlNode func(n node)
	xmlNode = func(n node) {
		b.WriteString("<" + n.name)
		if t := typeAttr[n.kind]; t != "" {
			b.WriteString(` type="` + t + `"`)
		}
		if n.null {
			b.WriteString(` nil="true"/>`)
			return
		}
		for _, a := range n.attrs {
			b.WriteString(" " + a.name + `="` + stdXML(a.text) + `"`)
		}
		switch {
		case n.kind != kRecord && n.kind != kArray && n.text == "", (n.kind == kRecord || n.kind == kArray) && len(n.kids) == 0:
			b.WriteString("/>")
			return
		case n.kind != kRecord && n.kind != kArray:
			b.WriteString(">" + stdXML(n.text))
		default:
			b.WriteString(">")
			for _, k := range n.kids {
				xmlNode(k)
			}
		}
		b.WriteString("</" + n.name + ">")
	}
	var jsonValue func(n node)
	jsonValue = func(n node) {
		switch {
		case n.null:
			b.WriteString("null")
		case len(n.attrs) > 0:
			b.WriteString("{")
			if n.kind != kRecord {
				b.WriteString(`"name":` + stdJSON(n.text) + ",")
			}
			for i, a := range n.attrs {
				if i > 0 {
					b.WriteString(",")
				}
				b.WriteString(stdJSON(a.name) + ":")
				jsonValue(a)
			}
			b.WriteString("}")
		case n.kind == kRecord:
			b.WriteString("{")
			for i, k := range n.kids {
				if i > 0 {
					b.WriteString(",")
				}
				b.WriteString(stdJSON(k.name) + ":")
				jsonValue(k)
			}
			b.WriteString("}")
		case n.kind == kArray:
			b.WriteString("[")
			for i, k := range n.kids {
				if i > 0 {
					b.WriteString(",")
				}
				jsonValue(k)
			}
			b.WriteString("]")
		case n.kind == kInteger || n.kind == kBoolean || n.kind == kFloat:
			b.WriteString(n.text)
		default:
			b.WriteString(stdJSON(n.text))
		}
	}
	if f == formatJSON {
		jsonValue(n)
	} else {
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
		xmlNode(n)
	}
	return b.String() + "\n"
}

// assetOfShape is an asset whose every string field is s, with or
// without the optional parts.
func assetOfShape(s string, full bool) *damask.Asset {
	a := &damask.Asset{ID: 7, AccountID: 1, UserID: 2, Title: s, Description: s, Path: s, Filename: s,
		ContentType: s, Size: 12, Version: 1, Processing: damask.ProcessingPending,
		CreatedAt: time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)}
	if full {
		a.Processing, a.ProcessingError, a.PublicToken, a.ThumbToken = damask.ProcessingDone, s, "pub"+s, "thumb"
		a.Tags = []damask.Tag{{ID: 1, Name: s}, {ID: 2, Name: "b"}}
		a.Width, a.Height, a.PixelWidth, a.PixelHeight, a.PageCount = 640, 480, 480, 640, 3
		a.Camera, a.TakenAt, a.Duration = s, a.CreatedAt, 1500*time.Millisecond
		a.GPS = &damask.GeoPoint{Latitude: 47.37, Longitude: -8.54}
		a.Meta = damask.FileMeta{Type: s, ResolutionWidth: 72, ResolutionHeight: 300.4, BitsPerSample: 8,
			ColorSpace: s, Orientation: 6, AlphaChannel: true, Lens: s, Keywords: []string{s, "k"}, Caption: s,
			Creator: s, Copyright: s, Title: s, Description: s, VideoCodec: s, AudioCodec: s}
	}
	return a
}

func TestDocumentsAsStd(t *testing.T) {
	account := &damask.Account{ID: 1, Name: "acme", PublicThumbnails: true}
	for _, s := range texts {
		for _, full := range []bool{false, true} {
			one := assetDoc(assetOfShape(s, full), account, "https://acme.example.com", "https://cdn.example.com")
			for _, doc := range []node{one, array("assets", []node{one, one}), array("assets", nil),
				withAttrs(str("plan", s), str("ssl", s)), record("error", strOrNil("message", s))} {
				for _, f := range []format{formatXML, formatJSON} {
					var b bytes.Buffer
					if f == formatJSON {
						writeJSON(&b, doc)
					} else {
						writeXML(&b, doc)
					}
					if want := stdWrite(f, doc); b.String() != want {
						t.Errorf("%q (full %v), format %d:\n got %s\nwant %s", s, full, f, b.String(), want)
					}
				}
			}
		}
	}
}
