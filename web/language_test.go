package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"damask"
	"damask/library"
)

// The pages speak the user's language setting, else the browser's
// Accept-Language (q-values honoured, regions ignored), else English;
// <html lang> says which.
func TestPageLanguage(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		name, header, setting string
		signedIn              bool
		want                  string
	}{
		{"signed out, no header", "", "", false, "en"},
		{"signed out, Austrian", "de-AT,de;q=0.9", "", false, "de"},
		{"signed out, Swiss", "de-CH", "", false, "de"},
		{"signed out, English first", "en-US,en;q=0.9,de;q=0.8", "", false, "en"},
		{"signed out, German before English by q", "fr;q=1, en;q=0.5, de;q=0.7", "", false, "de"},
		{"signed out, neither", "fr-FR,fr", "", false, "en"},
		{"signed in, Austrian browser", "de-AT,de;q=0.9", "", true, "de"},
		{"signed in, setting beats header", "de-AT,de;q=0.9", "en", true, "en"},
		{"signed in, German setting, English browser", "en-US", "de", true, "de"},
		{"signed in, English browser", "en-US", "", true, "en"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser(t)
			path := "/signin"
			if tt.signedIn {
				b = e.signedIn(t, "ann")
				saveLanguage(t, b, tt.setting)
				path = "/"
			}
			b.lang = tt.header
			res := b.want(b.get(path), http.StatusOK)
			if !strings.Contains(res.body, `<html lang="`+tt.want+`">`) {
				t.Errorf("want <html lang=%q>:\n%.300s", tt.want, res.body)
			}
			words := map[string]map[bool]string{
				"en": {false: "<h1>Sign in</h1>", true: `<h1 class="sr">Library</h1>`},
				"de": {false: "<h1>Anmelden</h1>", true: `<h1 class="sr">Bibliothek</h1>`},
			}
			if w := words[tt.want][tt.signedIn]; !strings.Contains(res.body, w) {
				t.Errorf("want %q in the page", w)
			}
			other := map[string]string{"en": "de", "de": "en"}[tt.want]
			if w := words[other][tt.signedIn]; strings.Contains(res.body, w) {
				t.Errorf("%q in a page in %s", w, tt.want)
			}
		})
	}
}

// saveLanguage sets the signed-in user's language on the settings page.
func saveLanguage(t *testing.T, b *browser, lang string) response {
	t.Helper()
	res := b.post("/settings", url.Values{"csrf": {token(t, b.get("/settings"))}, "language": {lang}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("save language %q: %d\n%s", lang, res.status, res.body)
	}
	return res
}

// A flash, a form's error by its field (the library's message, made in
// English, said in German) and the error of a whole form come in the
// page's language; the scripts get their catalog; the library's own
// validation texts stay English in the API.
func TestGermanMessages(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	b.lang = "de-AT,de;q=0.9"

	// The flash after saving the settings.
	saveLanguage(t, b, "")
	res := b.want(b.get("/settings"), http.StatusOK)
	for _, w := range []string{"Gespeichert. Zeiten werden in der Zeitzone Ihres Browsers gezeigt.", `<option value="" selected>automatisch (Browser)</option>`} {
		if !strings.Contains(res.body, w) {
			t.Errorf("settings: want %q", w)
		}
	}

	// A field's error.
	res = b.post("/settings", url.Values{"csrf": {token(t, b.get("/settings"))}, "time_zone": {"Mars/Olympus"}})
	if res.status != http.StatusUnprocessableEntity && res.status != http.StatusBadRequest {
		t.Fatalf("bad zone: %d", res.status)
	}
	for _, w := range []string{
		`<p class="field-error" id="time-zone-error">Zeitzone muss ein Zonenname der IANA-Datenbank sein, etwa Europe/Vienna oder America/New_York</p>`,
		"Das Formular wurde nicht gespeichert: Der Fehler steht beim Feld unten.",
	} {
		if !strings.Contains(res.body, w) {
			t.Errorf("bad zone: want %q in\n%s", w, res.body)
		}
	}

	// A library message read by its pattern, its field's name translated.
	long := strings.Repeat("x", 300)
	res = b.post("/collections", url.Values{"csrf": {token(t, b.get("/collections"))}, "title": {long}, "query": {"tag:a"}})
	if w := "Titel ist zu lang (höchstens 255 Zeichen)"; !strings.Contains(res.body, w) {
		t.Errorf("long title: want %q in\n%s", w, res.body)
	}

	// A search's error, inside the library's message.
	res = b.get("/?q=" + url.QueryEscape("(sun"))
	if w := "Suchanfrage bei Zeichen 1: „)“ fehlt"; !strings.Contains(res.body, w) {
		t.Errorf("bad query: want %q in\n%s", w, res.body)
	}

	// The library page: counts, the scripts' catalog, the sort menu.
	res = b.want(b.get("/"), http.StatusOK)
	for _, w := range []string{"0 Assets", "data-catalog=", "Neueste zuerst", "Dateien hochladen"} {
		if !strings.Contains(res.body, w) {
			t.Errorf("library: want %q", w)
		}
	}

	// The same user in English: no catalog for the scripts.
	b.lang = "en"
	res = b.want(b.get("/"), http.StatusOK)
	if strings.Contains(res.body, "data-catalog=") || !strings.Contains(res.body, "0 assets") {
		t.Errorf("library in English: catalog or count wrong")
	}
}

// The language setting takes the languages there are, or none.
func TestLanguageSetting(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	res := b.post("/settings", url.Values{"csrf": {token(t, b.get("/settings"))}, "language": {"fr"}})
	if res.status == http.StatusSeeOther {
		t.Fatal("language fr was saved")
	}
	if w := "Language must be one of en, de, or empty for the browser&#39;s"; !strings.Contains(res.body, w) {
		t.Errorf("want %q in\n%s", w, res.body)
	}
	saveLanguage(t, b, "de")
	res = b.want(b.get("/settings"), http.StatusOK)
	if !strings.Contains(res.body, `<option value="de" lang="de" selected>Deutsch</option>`) || !strings.Contains(res.body, `<html lang="de">`) {
		t.Errorf("after saving de:\n%s", res.body)
	}
}

// The pages of people without an account, a Stage's and an Inbox's, speak
// their browser's language; a wrong password is said in it too.
func TestSignedOutPagesGerman(t *testing.T) {
	e := newEnv(t)
	ann := e.signedIn(t, "ann")
	id := ann.upload("a.txt", "a", "")
	c := e.caller(t, e.ann)
	title, list := "Kunde", strconv.FormatInt(id, 10)
	col, _, err := e.svc.CreateCollection(t.Context(), c, library.CollectionInput{Title: &title, AssetIDs: &list}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	colID, pwd := strconv.FormatInt(col.ID, 10), "right one"
	st, _, err := e.svc.CreateStage(t.Context(), c, library.StageInput{Title: &title, CollectionID: &colID, Password: &pwd}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	stage := library.StageAddress(st.Token)
	_, inbox := e.newInbox(t, library.InboxInput{MaxFiles: ptr("5")})

	for _, tt := range []struct {
		lang, path string
		want       []string
	}{
		{"de-CH,de;q=0.9", stage, []string{`<html lang="de">`, "Diese Stage verlangt ihr Passwort", ">Öffnen</button>"}},
		{"en-GB", stage, []string{`<html lang="en">`, "This Stage asks for its password", ">Open</button>"}},
		{"de-AT", inbox, []string{`<html lang="de">`, "Ihr Name", "Ihre E-Mail-Adresse", ">Senden</button>", "5 Dateien auf einmal"}},
		{"", inbox, []string{`<html lang="en">`, "Your name", ">Send</button>", "5 files at once"}},
	} {
		v := e.browser(t)
		v.lang = tt.lang
		res := v.get(tt.path)
		for _, w := range tt.want {
			if !strings.Contains(res.body, w) {
				t.Errorf("%s in %q: want %q", tt.path, tt.lang, w)
			}
		}
	}

	v := e.browser(t)
	v.lang = "de-AT,de;q=0.9"
	res := v.post(stage, url.Values{"password": {"wrong"}})
	if w := "Das ist nicht das Passwort dieser Stage"; res.status != http.StatusUnauthorized || !strings.Contains(res.body, w) {
		t.Errorf("wrong password: %d, want %q in\n%s", res.status, w, res.body)
	}
}
