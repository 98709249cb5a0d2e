package hardening

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// TestEveryItemNamed holds the suite to its promise: every numbered item
// of RELIABILITY.md has exactly one test TestRNN_ in this package, and no
// test names an item that is not there.
func TestEveryItemNamed(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "shared", "RELIABILITY.md"))
	if err != nil {
		t.Skipf("RELIABILITY.md is not beside the project: %v", err)
	}
	items := map[int]string{}
	for _, m := range regexp.MustCompile(`(?m)^(\d+)\. (.*)$`).FindAllStringSubmatch(string(doc), -1) {
		n, _ := strconv.Atoi(m[1])
		items[n] = m[2]
	}
	if len(items) == 0 {
		t.Fatal("no numbered items found in RELIABILITY.md")
	}

	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	named := map[int][]string{}
	testName := regexp.MustCompile(`^TestR(\d\d)_`)
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil {
				continue
			}
			if m := testName.FindStringSubmatch(fn.Name.Name); m != nil {
				n, _ := strconv.Atoi(m[1])
				named[n] = append(named[n], fn.Name.Name)
			}
		}
	}
	for n, text := range items {
		switch len(named[n]) {
		case 0:
			t.Errorf("item %d has no test TestR%02d_: %s", n, n, text)
		case 1:
		default:
			t.Errorf("item %d has several tests: %v", n, named[n])
		}
	}
	for n, names := range named {
		if _, ok := items[n]; !ok {
			t.Errorf("%v name item %d, which RELIABILITY.md does not have", names, n)
		}
	}
}
