package migration

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestRead(t *testing.T) {
	for _, c := range []struct {
		name  string
		files []string
		err   string
	}{
		{"in order", []string{"0002_b.sql", "0001_a.sql", "0003_c.sql"}, ""},
		{"a gap", []string{"0001_a.sql", "0003_c.sql"}, "want number 2"},
		{"no number", []string{"a.sql"}, "must start with a number"},
		{"zero", []string{"0000_a.sql"}, "must start with a number"},
		{"none", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range c.files {
				fsys["m/"+f] = &fstest.MapFile{Data: []byte("-- " + f)}
			}
			steps, err := Read(fsys, "m")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(steps) != len(c.files) {
				t.Fatalf("%d steps, want %d", len(steps), len(c.files))
			}
			for i, s := range steps {
				if s.Version != i+1 || s.SQL != "-- "+s.Name {
					t.Errorf("step %d: %+v", i, s)
				}
			}
		})
	}
}
