package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// keys are the catalog's keys a part of the code uses: plural says a key
// is a count's (n, trn), whose translation has two forms.
type keys map[string]bool

func (k keys) add(key string, plural bool) { k[key] = k[key] || plural }

var (
	templateT = regexp.MustCompile(`[{(]\s*t\s+"((?:[^"\\]|\\.)*)"`)
	templateN = regexp.MustCompile(`[{(]\s*n\s+(?:\([^()"]*\)|[^"\s()]+)\s+"((?:[^"\\]|\\.)*)"\s+"`)
)

// templateKeys are the keys of the templates' t and n calls.
func templateKeys(t *testing.T) keys {
	t.Helper()
	k := keys{}
	files, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, _ := templateFiles.ReadFile(f)
		for _, re := range []*regexp.Regexp{templateT, templateN} {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				key, err := strconv.Unquote(`"` + m[1] + `"`)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				k.add(key, re == templateN)
			}
		}
	}
	return k
}

// scriptKeysOf are the keys of damask.js.
func scriptKeysOf(t *testing.T) keys {
	t.Helper()
	b, err := staticFiles.ReadFile("static/damask.js")
	if err != nil {
		t.Fatal(err)
	}
	k := keys{}
	for _, m := range scriptCall.FindAllStringSubmatch(string(b), -1) {
		key, _ := strconv.Unquote(`"` + m[1] + `"`)
		k.add(key, strings.HasPrefix(m[0], "txn("))
	}
	return k
}

// goKeys are the keys of web's Go code: the literal keys of tr and trn,
// and the messages of the errors it makes (translated by Msg where a page
// shows them).
func goKeys(t *testing.T) keys {
	t.Helper()
	k := keys{}
	lit := func(e ast.Expr) (string, bool) {
		b, ok := e.(*ast.BasicLit)
		if !ok || b.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(b.Value)
		return s, err == nil
	}
	for _, f := range parseDir(t, ".") {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				case *ast.Ident:
					name = fn.Name
				}
				arg := func(i int, plural bool) {
					if i < len(n.Args) {
						if s, ok := lit(n.Args[i]); ok {
							k.add(s, plural)
						}
					}
				}
				switch name {
				case "tr":
					arg(1, false)
				case "msg", "T":
					arg(0, false)
				case "N":
					arg(1, true)
				case "trn":
					arg(2, true)
				case "Errorf":
					arg(1, false)
				case "errorPage":
					arg(3, false)
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && id.Name == "Message" {
					if s, ok := lit(n.Value); ok {
						k.add(s, false)
					}
				}
			}
			return true
		})
	}
	return k
}

func parseDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// literals are the string literals of the Go code of dirs, in part: the
// messages of errors the pages translate.
func literals(t *testing.T, dirs ...string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, dir := range dirs {
		for _, f := range parseDir(t, dir) {
			ast.Inspect(f, func(n ast.Node) bool {
				if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING {
					if s, err := strconv.Unquote(b.Value); err == nil {
						out[s] = true
					}
				}
				return true
			})
		}
	}
	return out
}

// Every text of the templates, of damask.js and of web's Go code has its
// German; the German catalog has no key nobody uses, and a count's key
// has its two forms.
func TestCatalogComplete(t *testing.T) {
	de := loadLanguages()["de"]
	used := map[string]bool{}
	for part, k := range map[string]keys{"templates": templateKeys(t), "damask.js": scriptKeysOf(t), "web's Go code": goKeys(t)} {
		if len(k) == 0 {
			t.Errorf("%s: no keys found", part)
		}
		for key, plural := range k {
			used[key] = true
			m, ok := de.msgs[key]
			switch {
			case !ok:
				t.Errorf("%s: no German for %q", part, key)
			case plural && len(m) != 2:
				t.Errorf("%s: %q counts, its German needs [singular, plural]", part, key)
			case !plural && len(m) != 1:
				t.Errorf("%s: %q is no count, its German is one text", part, key)
			}
		}
	}
	// The messages of the library's errors and their fields' names are
	// literals of its code.
	lib := literals(t, "../library", "..", "../search")
	for key := range de.msgs {
		if used[key] || lib[key] || key == "January February March April May June July August September October November December" || key == "1.5" {
			continue
		}
		status := false
		for code := 100; code < 600; code++ {
			status = status || http.StatusText(code) == key
		}
		if !status {
			t.Errorf("the German catalog has %q, which nobody uses", key)
		}
	}
}

var (
	action    = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	textNode  = regexp.MustCompile(`>([^<>]*)<`)
	textAttr  = regexp.MustCompile(`\b(?:placeholder|title|aria-label|alt|label)="([^"]*)"`)
	noLetters = regexp.MustCompile(`^[^\pL]*$`)
)

// No template has text outside t and n: a text node or a text attribute
// (placeholder, title, aria-label, alt) with letters that are not a
// template action's is English nobody translates.
func TestTemplatesUntranslated(t *testing.T) {
	// Names and codes, the same in every language.
	allowed := []string{"English", "Deutsch", "SSL", "SHA-256"}
	colour := regexp.MustCompile(`^#[0-9a-f]{3,6}$`)
	files, _ := fs.Glob(templateFiles, "templates/*.html")
	for _, f := range files {
		b, _ := templateFiles.ReadFile(f)
		src := action.ReplaceAllString(string(b), "§")
		for _, re := range []*regexp.Regexp{textNode, textAttr} {
			for _, m := range re.FindAllStringSubmatch(src, -1) {
				for part := range strings.SplitSeq(m[1], "§") {
					part = strings.TrimSpace(part)
					if noLetters.MatchString(part) || slices.Contains(allowed, part) || colour.MatchString(part) {
						continue
					}
					t.Errorf("%s: untranslated text %q", f, part)
				}
			}
		}
	}
}

func TestAccepted(t *testing.T) {
	for _, tt := range []struct{ header, want string }{
		{"", "en"},
		{"de", "de"},
		{"de-AT,de;q=0.9", "de"},
		{"de-CH", "de"},
		{"DE-at", "de"},
		{"en-US,en;q=0.9,de;q=0.8", "en"},
		{"fr-FR,fr;q=0.9,de;q=0.8,en;q=0.7", "de"},
		{"fr, en;q=0.5, de;q=0.6", "de"},
		{"de;q=0, en", "en"},
		{"de;q=0", "en"},
		{"fr", "en"},
		{"*", "en"},
		{"de;q=abc", "en"},
		{"en;q=0.5, de;q=0.5", "en"},
	} {
		if got := accepted(tt.header); got != tt.want {
			t.Errorf("accepted(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestMessages(t *testing.T) {
	de := loadLanguages()["de"]
	for _, tt := range []struct{ in, want string }{
		{"Time zone must be a zone name of the IANA database, such as Europe/Vienna or America/New_York", "Zeitzone muss ein Zonenname der IANA-Datenbank sein, etwa Europe/Vienna oder America/New_York"},
		{"Title is too long (maximum is 255 characters)", "Titel ist zu lang (höchstens 255 Zeichen)"},
		{"Tag \"a,b\" can't be blank", "Tag \"a,b\" darf nicht leer sein"}, // an argument nobody translates
		{"Something nobody translated", "Something nobody translated"},
		{"", ""},
	} {
		if got := de.Msg(tt.in); got != tt.want {
			t.Errorf("Msg(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got, want := de.Bytes(1536), "1,5 KB"; got != want {
		t.Errorf("Bytes in German = %q, want %q", got, want)
	}
	if got, want := loadLanguages()["en"].Bytes(1536), "1.5 KB"; got != want {
		t.Errorf("Bytes in English = %q, want %q", got, want)
	}
	if got, want := de.N(1, "%d asset", "%d assets"), "1 Asset"; got != want {
		t.Errorf("N(1) = %q, want %q", got, want)
	}
	if got, want := de.N(2, "%d asset", "%d assets"), "2 Assets"; got != want {
		t.Errorf("N(2) = %q, want %q", got, want)
	}
	if got, want := de.N(3, "%d thing nobody translated", "%d things nobody translated"), "3 things nobody translated"; got != want {
		t.Errorf("N of a missing key = %q, want %q", got, want)
	}
	if got, want := de.T("A key nobody translated %d", 4), "A key nobody translated 4"; got != want {
		t.Errorf("T of a missing key = %q, want %q", got, want)
	}
	vienna, _ := time.LoadLocation("Europe/Vienna")
	at := time.Date(2026, 3, 7, 14, 5, 0, 0, time.UTC)
	if got, want := de.When(at, vienna), "7. März 2026, 15:05 CET"; got != want {
		t.Errorf("When in German = %q, want %q", got, want)
	}
	if got, want := loadLanguages()["en"].When(at, vienna), "2026-03-07 15:05 CET"; got != want {
		t.Errorf("When in English = %q, want %q", got, want)
	}
}

// The catalog's files are all read: a file for a language the library
// does not offer would never be.
func TestCatalogFiles(t *testing.T) {
	entries, err := os.ReadDir("i18n")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		code := strings.TrimSuffix(e.Name(), ".json")
		if _, ok := loadLanguages()[code]; !ok {
			t.Errorf("i18n/%s is no language of library.Languages", e.Name())
		}
	}
}

// What the pages say from Go, a page's title and the flash after a
// change, goes through the catalog: a string literal or a fmt.Sprintf in
// those fields is English that no German test sees.
func TestTitlesAndFlashesTranslated(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			typ, ok := lit.Type.(*ast.Ident)
			if !ok || (typ.Name != "flash" && typ.Name != "pageData") {
				return true
			}
			for _, e := range lit.Elts {
				kv, ok := e.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				key, ok := kv.Key.(*ast.Ident)
				if !ok || (key.Name != "Message" && key.Name != "Title") {
					continue
				}
				switch v := kv.Value.(type) {
				case *ast.BasicLit:
					t.Errorf("%s: %s.%s is the literal %s, not through the catalog", fset.Position(v.Pos()), typ.Name, key.Name, v.Value)
				case *ast.CallExpr:
					if sel, ok := v.Fun.(*ast.SelectorExpr); ok {
						if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "fmt" {
							t.Errorf("%s: %s.%s is made by fmt.%s, not through the catalog", fset.Position(v.Pos()), typ.Name, key.Name, sel.Sel.Name)
						}
					}
				}
			}
			return true
		})
	}
}
