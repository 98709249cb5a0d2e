package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Times on the pages are in the user's zone, named: the setting, else the
// browser's (the cookie damask_tz the script sets), else UTC.
func TestTimeZone(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	// The trash lists a deleted asset with the time it was deleted.
	a := e.seed(t, "zoned", 1)[0]
	if res := b.post("/selection", url.Values{"csrf": {token(t, b.get("/"))}, "ids": {strconv.FormatInt(a.ID, 10)}, "action": {"delete"}}); res.status != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", res.status, res.body)
	}
	stamp := regexp.MustCompile(`<td>\d{4}-\d\d-\d\d \d\d:\d\d ([A-Z]+|[+-]\d+)</td>`)
	zoneOf := func(what string) string {
		t.Helper()
		res := b.get("/trash")
		m := stamp.FindStringSubmatch(res.body)
		if m == nil {
			t.Fatalf("%s: no time with a zone on the trash page:\n%s", what, res.body)
		}
		return m[1]
	}
	if z := zoneOf("no zone known"); z != "UTC" {
		t.Errorf("without a zone: %s, want UTC", z)
	}
	u, _ := url.Parse(e.srv.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "damask_tz", Value: "Asia/Tokyo", Path: "/"}})
	if z := zoneOf("the browser's zone"); z != "JST" {
		t.Errorf("with the browser's Asia/Tokyo: %s, want JST", z)
	}
	// A cookie that is no zone is ignored.
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "damask_tz", Value: "../../etc/passwd", Path: "/"}})
	if z := zoneOf("a bad cookie"); z != "UTC" {
		t.Errorf("with a bad cookie: %s, want UTC", z)
	}
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "damask_tz", Value: "Asia/Tokyo", Path: "/"}})

	// The setting goes first; a bad name comes back by its field.
	page := b.get("/settings")
	if page.status != 200 || !strings.Contains(page.body, "(now Asia/Tokyo)") {
		t.Fatalf("settings: %d\n%s", page.status, page.body)
	}
	csrf := token(t, page)
	for _, tt := range []struct {
		zone   string
		status int
		want   string
	}{
		{"Mars/Olympus", http.StatusUnprocessableEntity, `id="time-zone-error">Time zone must be a zone name of the IANA database`},
		{"Local", http.StatusUnprocessableEntity, `aria-invalid="true"`},
		{"/etc/localtime", http.StatusUnprocessableEntity, `value="/etc/localtime"`},
		{"America/Argentina/Buenos_Aires", http.StatusSeeOther, ""},
	} {
		res := b.post("/settings", url.Values{"csrf": {csrf}, "time_zone": {tt.zone}})
		if res.status != tt.status || !strings.Contains(res.body, tt.want) {
			t.Errorf("%q: %d, want %d with %q:\n%s", tt.zone, res.status, tt.status, tt.want, res.body)
		}
	}
	if res := b.get("/settings"); !strings.Contains(res.body, "Saved. Times are shown in America/Argentina/Buenos_Aires.") {
		t.Errorf("no message after the save:\n%s", res.body)
	}
	if z := zoneOf("the setting"); z != "-03" {
		t.Errorf("with the setting: %s, want -03", z)
	}
	// Emptied, the browser's again.
	if res := b.post("/settings", url.Values{"csrf": {csrf}, "time_zone": {""}}); res.status != http.StatusSeeOther {
		t.Fatalf("empty: %d", res.status)
	}
	if z := zoneOf("the setting emptied"); z != "JST" {
		t.Errorf("after emptying the setting: %s, want JST", z)
	}
}
