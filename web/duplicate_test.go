package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"damask/library"
)

// GET /assets/ID/duplicate names the older asset holding the same file,
// for the upload tray; 204 when none does.
func TestDuplicateOf(t *testing.T) {
	e := newEnv(t)
	c := e.caller(t, e.ann)
	add := func(name, body string) int64 {
		in, err := e.svc.ReceiveFile(t.Context(), c, library.FileInput{Body: strings.NewReader(body), Filename: name, Length: -1})
		if err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.CreateAsset(t.Context(), c, library.AssetInput{File: in})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	first := add("first.txt", "the same words")
	again := add("again.txt", "the same words")
	other := add("other.txt", "other words")
	b := e.signedIn(t, "ann")
	for _, tt := range []struct {
		id     string
		status int
		want   int64
	}{
		{fmt.Sprint(again), http.StatusOK, first},
		{fmt.Sprint(first), http.StatusNoContent, 0},
		{fmt.Sprint(other), http.StatusNoContent, 0},
		{"999", http.StatusNotFound, 0},
		{"x", http.StatusNotFound, 0},
	} {
		res := b.get("/assets/" + tt.id + "/duplicate")
		if res.status != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.id, res.status, tt.status, res.body)
			continue
		}
		if tt.want != 0 {
			var doc struct {
				ID    int64  `json:"id"`
				Title string `json:"title"`
				URL   string `json:"url"`
			}
			if err := json.Unmarshal([]byte(res.body), &doc); err != nil || doc.ID != tt.want || doc.Title != "first" || doc.URL != fmt.Sprintf("/assets/%d", first) {
				t.Errorf("%s: %s (%v)", tt.id, res.body, err)
			}
		}
	}
	// Signed out: no answer.
	if res := e.browser(t).get(fmt.Sprintf("/assets/%d/duplicate", again)); res.status != http.StatusUnauthorized {
		t.Errorf("signed out: %d", res.status)
	}
}
