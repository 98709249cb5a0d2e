package library

import (
	"strconv"
	"strings"
	"testing"

	"damask"
)

func TestParseIDs(t *testing.T) {
	tests := []struct {
		in   string
		want []int64
		err  string
	}{
		{"", []int64{}, ""},
		{"7", []int64{7}, ""},
		{"3,1, 2", []int64{3, 1, 2}, ""},
		{"3 1\t2", []int64{3, 1, 2}, ""},
		{"5,,5,", []int64{5, 5}, ""},
		{"0", nil, "must be ids"},
		{"-4", nil, "must be ids"},
		{"1,x", nil, "must be ids"},
		{"99999999999999999999", nil, "must be ids"},
		{strings.Repeat("1,", MaxSelection), make([]int64, MaxSelection), ""},
		{strings.Repeat("1,", MaxSelection+1), nil, "at most 1000"},
	}
	for _, tt := range tests {
		got, err := parseIDs("asset_ids", tt.in)
		if tt.err != "" {
			if damask.ErrorCode(err) != damask.EINVALID || !strings.Contains(damask.ErrorMessage(err), tt.err) {
				t.Errorf("parseIDs(%.40q) error %v, want EINVALID saying %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseIDs(%.40q): %v", tt.in, err)
			continue
		}
		if len(tt.want) == MaxSelection {
			if len(got) != MaxSelection {
				t.Errorf("ParseIDs of %d ids: %d", MaxSelection, len(got))
			}
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("parseIDs(%q) = %v, want %v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("parseIDs(%q) = %v, want %v", tt.in, got, tt.want)
				break
			}
		}
	}
}

// FuzzParseIDs: any text answers positive ids that write back to its
// items, or EINVALID; never a panic, never another error.
func FuzzParseIDs(f *testing.F) {
	for _, s := range []string{"", "1,2,3", "1 2", "0", "-1", "1,,x", "\xff", "9223372036854775807", "9223372036854775808"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := parseIDs("asset_ids", s)
		if err != nil {
			if damask.ErrorCode(err) != damask.EINVALID {
				t.Fatalf("parseIDs(%q): %v, want EINVALID", s, err)
			}
			return
		}
		if len(ids) > MaxSelection {
			t.Fatalf("parseIDs(%q): %d ids", s, len(ids))
		}
		for _, id := range ids {
			if id <= 0 || !strings.Contains(s, strconv.FormatInt(id, 10)) {
				t.Fatalf("parseIDs(%q) answers %d", s, id)
			}
		}
	})
}

func TestCheckQuery(t *testing.T) {
	for _, q := range []string{"logo", "  tag:brand -draft ", "", "title:photo (1 OR 2)"} {
		if _, err := checkQuery(q); err != nil {
			t.Errorf("checkQuery(%q): %v", q, err)
		}
	}
	for _, q := range []string{`"unclosed`, "a*", strings.Repeat("x", 1001), "bad\x00"} {
		if _, err := checkQuery(q); damask.ErrorCode(err) != damask.EINVALID {
			t.Errorf("checkQuery(%q) = %v, want EINVALID", q, err)
		}
	}
}
