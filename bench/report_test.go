package main

import (
	"strings"
	"testing"
)

// TestAhead: Damask is ahead only when its median beats the peer's, in
// the direction the row's unit is better.
func TestAhead(t *testing.T) {
	for _, c := range []struct {
		name         string
		higherBetter bool
		ours, peer   float64
		want         string
	}{
		{"more requests", true, 2000, 1000, "ahead"},
		{"fewer requests", true, 1000, 2000, "**behind**"},
		{"a tie of requests", true, 1000, 1000, "**behind**"},
		{"less memory", false, 40, 80, "ahead"},
		{"more memory", false, 80, 40, "**behind**"},
		{"a tie of seconds", false, 12, 12, "**behind**"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ahead(pair{higherBetter: c.higherBetter}, c.ours, c.peer); got != c.want {
				t.Errorf("ahead(%v, %v) = %q, want %q", c.ours, c.peer, got, c.want)
			}
		})
	}
}

// TestPeerTable: the peer's rows come in their own section, each with both
// medians, the ratio Damask over the peer, and the verdict.
func TestPeerTable(t *testing.T) {
	r := newReport()
	r.peerName = "filebrowser v2.32.0"
	r.addPeer(pair{what: "upload", unit: "MB/s", ours: []float64{300, 200, 400}, ref: []float64{100, 150, 120}, higherBetter: true, note: "fsynced"})
	r.addPeer(pair{what: "RSS at rest", unit: "MiB", ours: []float64{60}, ref: []float64{30}})
	doc := r.markdown()
	for _, want := range []string{
		"## Damask beside filebrowser v2.32.0\n",
		"| what | Damask | filebrowser v2.32.0 | ratio | |\n",
		"| upload (fsynced) | 300 MB/s (200-400) | 120 MB/s (100-150) | 2.50x | ahead |\n",
		"| RSS at rest | 60.0 MiB | 30.0 MiB | 2.00x | **behind** |\n",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("report lacks %q:\n%s", want, doc)
		}
	}
	if strings.Contains(doc, "## Damask against its references") {
		t.Errorf("the peer's rows made a table of references:\n%s", doc)
	}
}
