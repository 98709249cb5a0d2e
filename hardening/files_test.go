package hardening

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// asset is the part of an asset document the tests read.
type asset struct {
	ID          int64  `xml:"id"`
	Filename    string `xml:"filename"`
	ContentType string `xml:"content_type"`
	Kind        string `xml:"kind"`
	Size        int64  `xml:"size"`
	SHA256      string `xml:"sha256"`
	ThumbURL    string `xml:"thumb_url"`
	PreviewURL  string `xml:"preview_url"`
}

// upload creates an asset from a file named name holding data, sent with
// the part's Content-Type set to claimed when it is not "".
func (l *library) upload(t *testing.T, name, claimed string, data []byte) asset {
	t.Helper()
	body, ct := multipartFile(name, claimed, data)
	status, b := l.admin.Do("POST", "/api/assets.xml", ct, body)
	if status != http.StatusCreated {
		t.Fatalf("upload %s: %d: %s", name, status, b)
	}
	var a asset
	if err := xml.Unmarshal(b, &a); err != nil {
		t.Fatalf("upload %s: %v: %s", name, err, b)
	}
	return a
}

// TestR01_HTMLSentAsJPEG: an .html or .php file sent as image/jpeg has its
// type detected from the bytes and is served only as an attachment with
// nosniff.
func TestR01_HTMLSentAsJPEG(t *testing.T) {
	l := start(t)
	for _, tc := range []struct{ name, data string }{
		{"photo.jpg", "<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"},
		{"shell.php", "<?php system($_GET['c']); ?>\n<html><script>alert(1)</script></html>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := l.upload(t, tc.name, "image/jpeg", []byte(tc.data))
			if strings.HasPrefix(a.ContentType, "image/") || a.Kind == "image" {
				t.Errorf("stored as %s (%s), want the type of its bytes", a.ContentType, a.Kind)
			}
			status, h, _ := l.admin.Request("GET", fmt.Sprintf("/api/assets/download/%d", a.ID), "", nil)
			if status != http.StatusOK {
				t.Fatalf("download: %d", status)
			}
			if cd := h.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
				t.Errorf("Content-Disposition %q, want an attachment", cd)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", h.Get("X-Content-Type-Options"))
			}
			if ct := h.Get("Content-Type"); strings.HasPrefix(ct, "image/") {
				t.Errorf("served as %q, the type the client claimed", ct)
			}
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("Content-Security-Policy %q, want default-src 'none' and sandbox", csp)
			}
		})
	}
}
