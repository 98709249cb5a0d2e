package synth

import (
	"strings"
	"testing"
	"time"

	"damask/search"
)

// TestCostliestQuery holds the costliest query to the language's limits
// as they change: it parses, with as many prefixes and terms as allowed.
func TestCostliestQuery(t *testing.T) {
	q := New(1, []int64{1}, 1, time.Now()).CostliestQuery()
	if _, err := search.Parse(q); err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	terms := strings.Split(q, " OR ")
	prefixes := 0
	for _, w := range terms {
		if strings.HasSuffix(w, "*") {
			prefixes++
		}
	}
	if len(terms) != search.MaxTerms || prefixes != search.MaxPrefixes {
		t.Errorf("%q: %d terms of which %d prefixes, want %d and %d", q, len(terms), prefixes, search.MaxTerms, search.MaxPrefixes)
	}
}
