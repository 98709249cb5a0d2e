package main

import "testing"

func TestSectionOf(t *testing.T) {
	doc := "# B\n\n## Upload\n\nfast\n\n## Soak\n\nheld\nlevel\n\n## Later\n\nx\n"
	for _, c := range []struct{ doc, title, want string }{
		{doc, "Soak", "## Soak\n\nheld\nlevel\n"},
		{doc, "Later", "## Later\n\nx\n"},
		{"## Soak\nonly\n", "Soak", "## Soak\nonly\n"},
		{doc, "Missing", ""},
		{"### Soak\nno\n", "Soak", ""},
	} {
		if got := sectionOf(c.doc, c.title); got != c.want {
			t.Errorf("sectionOf(%q) = %q, want %q", c.title, got, c.want)
		}
	}
}
