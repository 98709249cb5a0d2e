package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

// TestListBySHA256: sha256= limits a list to the assets whose current file
// has one of the digests (how `damask push` asks a large library which
// files it holds): out of the trash, of the caller's account only, with
// the rest of the query still applying; bad or too many digests are 400.
func TestListBySHA256(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	other := e.tenant(t, "globex", "deluxe")
	sum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	beach, logo, gone, theirs := []byte("beach notes"), []byte("logo notes"), []byte("trashed notes"), []byte("globex notes")
	beachID := id(t, tn.member.createAsset(t, "beach.txt", beach, "title", "beach"))
	logoID := id(t, tn.member.createAsset(t, "logo.txt", logo, "title", "logo"))
	goneID := id(t, tn.member.createAsset(t, "gone.txt", gone))
	tn.member.do(t, http.MethodDelete, "/api/assets/"+goneID+".json", nil).want(t, http.StatusOK)
	other.member.createAsset(t, "theirs.txt", theirs)
	many := strings.Repeat(sum(beach)+",", 100) + sum(logo)

	for _, tc := range []struct {
		name, query string
		status      int
		want        []string // ids, newest first
	}{
		{"one held", "sha256=" + sum(beach), 200, []string{beachID}},
		{"two, upper case", "sha256=" + strings.ToUpper(sum(beach)) + "," + sum(logo), 200, []string{logoID, beachID}},
		{"held and not", "sha256=" + sum(logo) + "," + sum([]byte("nowhere")), 200, []string{logoID}},
		{"none held", "sha256=" + sum([]byte("nowhere")), 404, nil},
		{"in the trash", "sha256=" + sum(gone), 404, nil},
		{"another account's", "sha256=" + sum(theirs), 404, nil},
		{"with a query", "sha256=" + sum(beach) + "," + sum(logo) + "&query=title:logo", 200, []string{logoID}},
		{"not a digest", "sha256=beach", 400, nil},
		{"too many", "sha256=" + many, 400, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tn.guest.get(t, "/api/assets.json?"+tc.query)
			if tc.status == 400 {
				r.wantError(t, 400, "sha256")
				return
			}
			r.want(t, tc.status)
			var got []string
			for _, a := range r.doc(t).([]any) {
				got = append(got, id(t, a.(map[string]any)))
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("ids %v, want %v", got, tc.want)
			}
		})
	}
}
