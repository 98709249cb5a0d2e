package httpapi_test

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSearchFileMetadata: the date a photo was taken and the text fields
// of its IPTC and XMP metadata, as processing found them, are searchable
// by field and as plain words.
func TestSearchFileMetadata(t *testing.T) {
	if _, err := exec.LookPath("exiftool"); err != nil {
		t.Skip("exiftool is not installed")
	}
	p := filepath.Join(t.TempDir(), "news.jpg")
	b, err := os.ReadFile("../metadata/testdata/photo.jpg") // taken 2024-05-17, creator Ada Photographer, (c) 2024 Ada
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("exiftool", "-q", "-overwrite_original", "-XMP-photoshop:Country=Switzerland",
		"-XMP-photoshop:City=Genève", "-XMP-photoshop:Headline=Fountain reopens", p).CombinedOutput(); err != nil {
		t.Fatalf("exiftool: %v: %s", err, out)
	}
	if b, err = os.ReadFile(p); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, setup{process: true, workers: true})
	tn := e.tenant(t, "acme", "deluxe")
	photo := id(t, tn.member.createAsset(t, "news.jpg", b, "title", "Fountain"))
	if doc := waitProcessed(t, tn.member, photo); doc["processing"] != "done" {
		t.Fatalf("the photo is not processed: %v", doc)
	}
	notes := id(t, tn.member.createAsset(t, "notes.txt", []byte("switzerland notes\n"), "title", "Notes from Geneva trip"))
	waitProcessed(t, tn.member, notes)

	for _, c := range []struct {
		query string
		want  []string
	}{
		{"taken:2024-05", []string{photo}},
		{"taken:2024-05-17", []string{photo}},
		{"taken:2023", nil},
		{"taken-before:2025", []string{photo}},
		{"taken-after:2024-05", nil},
		{"-taken:2024", []string{notes}},
		{"after:2024", []string{notes, photo}}, // added, not taken
		{"creator:ada", []string{photo}},
		{"copyright:ada", []string{photo}},
		{"country:switzerland", []string{photo}},
		{"city:geneve", []string{photo}},
		{`headline:"fountain reopens"`, []string{photo}},
		{"reopens", []string{photo}},
		{"country:notes", nil},
	} {
		for _, ext := range formats {
			t.Run(c.query+ext, func(t *testing.T) {
				r := tn.guest.get(t, "/api/assets"+ext+"?sort=-created_on&query="+url.QueryEscape(c.query))
				if len(c.want) == 0 {
					r.want(t, 404)
				} else {
					r.want(t, 200)
				}
				if diff := cmp.Diff(c.want, listIDs(t, r)); diff != "" {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
			})
		}
	}
}
