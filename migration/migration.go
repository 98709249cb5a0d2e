// Package migration reads a store's schema history: one SQL file a step,
// named NNNN_what.sql, numbered from 1 without gaps. A step once released
// is never edited; a change is a new file. Each store applies the steps in
// its own way (SQLite's user_version, a table in PostgreSQL).
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Step is one file of the history.
type Step struct {
	Version int
	Name    string // the file's name
	SQL     string
}

// Read reads the steps in dir of fsys, in order.
func Read(fsys fs.FS, dir string) ([]Step, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	var steps []Step
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", base)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		steps = append(steps, Step{Version: v, Name: base, SQL: string(b)})
	}
	slices.SortFunc(steps, func(a, b Step) int { return a.Version - b.Version })
	for i, s := range steps {
		if s.Version != i+1 {
			return nil, fmt.Errorf("migration %s: want number %d", s.Name, i+1)
		}
	}
	return steps, nil
}
