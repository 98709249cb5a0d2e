package search

import (
	"reflect"
	"testing"
	"time"
)

// TestTakenAndMetaFields: the date taken and the fields of the file's
// metadata parse, format back and refuse what they should.
func TestTakenAndMetaFields(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		q      string
		want   Expr
		format string
	}{
		{"taken:2024", Taken{From: day(2024, 1, 1), To: day(2025, 1, 1)}, "taken:2024"},
		{"TAKEN:2024-05", Taken{From: day(2024, 5, 1), To: day(2024, 6, 1)}, "taken:2024-05"},
		{"taken:2024-02-29", Taken{From: day(2024, 2, 29), To: day(2024, 3, 1)}, "taken:2024-02-29"},
		{"taken-before:2024-05", Date{Taken: true, Before: true, At: day(2024, 5, 1)}, "taken-before:2024-05"},
		{"Taken-After:2024", Date{Taken: true, At: day(2025, 1, 1)}, "taken-after:2024"},
		{"-taken:2023 after:2024", And{Not{X: Taken{From: day(2023, 1, 1), To: day(2024, 1, 1)}}, Date{At: day(2025, 1, 1)}},
			"-taken:2023 after:2024"},
		{"copyright:acme", Word{Field: Copyright, Value: "acme"}, "copyright:acme"},
		{`country:"new zealand"`, Phrase{Field: Country, Words: []string{"new", "zealand"}}, `country:"new zealand"`},
		{"city:zür* creator:ann", And{Word{Field: City, Value: "zür", Prefix: true}, Word{Field: Creator, Value: "ann"}},
			"city:zür* creator:ann"},
		{"HEADLINE:x credit:y source:z state:bavaria location:harbour caption:sea lens:50mm",
			And{Word{Field: Headline, Value: "x"}, Word{Field: Credit, Value: "y"}, Word{Field: Source, Value: "z"},
				Word{Field: State, Value: "bavaria"}, Word{Field: Location, Value: "harbour"}, Word{Field: Caption, Value: "sea"},
				Word{Field: Lens, Value: "50mm"}},
			"headline:x credit:y source:z state:bavaria location:harbour caption:sea lens:50mm"},
		// Dashes in a word that is no field keep it a word.
		{"well-known:x", Word{Value: "well-known:x"}, "well-known:x"},
		{"taken-by:x", Word{Value: "taken-by:x"}, "taken-by:x"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			x, err := Parse(tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(x, tt.want) {
				t.Errorf("Parse = %#v, want %#v", x, tt.want)
			}
			if got := Format(x); got != tt.format {
				t.Errorf("Format = %q, want %q", got, tt.format)
			}
			roundTrip(t, x)
		})
	}
	for q, msg := range map[string]string{
		"taken:2024-13":   "at character 7: taken: 2024-13 is not a date",
		"taken:yesterday": "at character 7: taken: takes a date: YYYY, YYYY-MM or YYYY-MM-DD",
		"taken-before:24": "at character 14: taken-before: takes a date: YYYY, YYYY-MM or YYYY-MM-DD",
		"taken-after:":    "at character 1: taken-after: needs a value",
		`copyright:""`:    "at character 11: nothing between the quotes",
		"country:n*":      `at character 9: "*" needs at least 2 letters or digits right before it, as in su*`,
	} {
		if _, err := Parse(q); err == nil || err.Error() != msg {
			t.Errorf("Parse(%q) error %v, want %s", q, err, msg)
		}
	}
}
