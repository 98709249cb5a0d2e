package search

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func w(v string) Word           { return Word{Value: v} }
func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func TestParse(t *testing.T) {
	tests := []struct {
		q    string
		want Expr
	}{
		// Nothing to search for.
		{"", nil},
		{" \t\n ", nil},
		{"-", nil},
		{" -- - ", nil},

		// Words, prefixes, phrases.
		{"sunset", w("sunset")},
		{"  sunset  ", w("sunset")},
		{"Sunset", w("Sunset")},
		{"sun*", Word{Value: "sun", Prefix: true}},
		{"su*", Word{Value: "su", Prefix: true}},
		{"IMG_20*", Word{Value: "IMG_20", Prefix: true}},
		{"e\u0301t*", Word{Value: "e\u0301t", Prefix: true}}, // the combining mark is no letter of its own
		{".*", Word{Value: ".", Prefix: true}},               // no word to expand: matches everything
		{"l'été", w("l'été")},
		{"a-b", w("a-b")},
		{"a\u00a0b", And{w("a"), w("b")}}, // any Unicode space separates
		{`"red car"`, Phrase{Words: []string{"red", "car"}}},
		{`"  red   car  "`, Phrase{Words: []string{"red", "car"}}},
		{`"red"`, w("red")},
		{`"sun*"`, w("sun*")},
		{`"OR"`, w("OR")},
		{`"title:x"`, w("title:x")},
		{`"-x"`, w("-x")},
		{`"(a)"`, w("(a)")},
		{`"a b""c d"`, And{Phrase{Words: []string{"a", "b"}}, Phrase{Words: []string{"c", "d"}}}},
		{`a"b"`, And{w("a"), w("b")}},

		// Keywords only in upper case and as whole words.
		{"cat or dog", And{w("cat"), w("or"), w("dog")}},
		{"cat Or dog", And{w("cat"), w("Or"), w("dog")}},
		{"not a", And{w("not"), w("a")}},
		{"ORE ANDES", And{w("ORE"), w("ANDES")}},
		{"-OR", Not{w("OR")}},
		{"-NOT a", And{Not{w("NOT")}, w("a")}},

		// Operators and precedence.
		{"a b", And{w("a"), w("b")}},
		{"a AND b", And{w("a"), w("b")}},
		{"a AND b c", And{w("a"), w("b"), w("c")}},
		{"cat OR dog", Or{w("cat"), w("dog")}},
		{"a b OR c", Or{And{w("a"), w("b")}, w("c")}},
		{"a OR b c", Or{w("a"), And{w("b"), w("c")}}},
		{"a AND b OR c", Or{And{w("a"), w("b")}, w("c")}},
		{"a OR b OR c", Or{w("a"), w("b"), w("c")}},
		{"-a", Not{w("a")}},
		{"-a b", And{Not{w("a")}, w("b")}},
		{"NOT a b", And{Not{w("a")}, w("b")}},
		{"NOT a OR b", Or{Not{w("a")}, w("b")}},
		{"NOT (a OR b)", Not{Or{w("a"), w("b")}}},
		{"-(a OR b)", Not{Or{w("a"), w("b")}}},
		{"-(a b)", Not{And{w("a"), w("b")}}},
		{`-"red car"`, Not{Phrase{Words: []string{"red", "car"}}}},
		{"--a", Not{Not{w("a")}}},
		{"NOT NOT a", Not{Not{w("a")}}},
		{"NOT -a", Not{Not{w("a")}}},
		{"-sun*", Not{Word{Value: "sun", Prefix: true}}},
		{"(cat OR dog) -draft", And{Or{w("cat"), w("dog")}, Not{w("draft")}}},
		{"(a OR b)(c OR d)", And{Or{w("a"), w("b")}, Or{w("c"), w("d")}}},
		{"(a)OR(b)", Or{w("a"), w("b")}},
		{"beach - 2024", And{w("beach"), w("2024")}},
		{"(a -)", w("a")},
		{"a -", w("a")},

		// Collapsing and flattening.
		{"(a)", w("a")},
		{"((a))", w("a")},
		{"(a b) c", And{w("a"), w("b"), w("c")}},
		{"a (b c) d", And{w("a"), w("b"), w("c"), w("d")}},
		{"(a OR b) OR c", Or{w("a"), w("b"), w("c")}},
		{"a OR (b OR (c OR d))", Or{w("a"), w("b"), w("c"), w("d")}},
		{"(a OR b) c", And{Or{w("a"), w("b")}, w("c")}},
		{"(a b) OR c", Or{And{w("a"), w("b")}, w("c")}},
		{"-(a) b", And{Not{w("a")}, w("b")}},

		// Text fields.
		{"title:sunset", Word{Field: Title, Value: "sunset"}},
		{"TITLE:sunset", Word{Field: Title, Value: "sunset"}},
		{"Filename:IMG_01", Word{Field: Filename, Value: "IMG_01"}},
		{"description:sun*", Word{Field: Description, Value: "sun", Prefix: true}},
		{"camera:Canon", Word{Field: Camera, Value: "Canon"}},
		{`title:"red car"`, Phrase{Field: Title, Words: []string{"red", "car"}}},
		{`title:"red"`, Word{Field: Title, Value: "red"}},
		{`title:"sun*"`, Word{Field: Title, Value: "sun*"}},
		{"title:10:30", Word{Field: Title, Value: "10:30"}},
		{"title:-x", Word{Field: Title, Value: "-x"}},
		{"title:OR", Word{Field: Title, Value: "OR"}},
		{"-title:draft", Not{Word{Field: Title, Value: "draft"}}},
		{`title:"a"b`, And{Word{Field: Title, Value: "a"}, w("b")}},

		// Words with a colon that are no field.
		{"10:30", w("10:30")},
		{":x", w(":x")},
		{"k9:x", w("k9:x")},
		{"love<3", w("love<3")},
		{"a>b", w("a>b")},
		{"a=b", w("a=b")},
		{`10:"a b"`, And{w("10:"), Phrase{Words: []string{"a", "b"}}}},

		// Tags, kinds, extensions, users.
		{"tag:sky", Tag{Name: "sky"}},
		{"Tag:Sky", Tag{Name: "Sky"}},
		{`tag:"sky blue"`, Tag{Name: "sky blue"}},
		{`tag:" sky  blue "`, Tag{Name: "sky  blue"}},
		{"tag:a:b", Tag{Name: "a:b"}},
		{"tag:sun*", Tag{Name: "sun*"}},
		{"type:image", Kind{Kind: KindImage}},
		{"type:VIDEO", Kind{Kind: KindVideo}},
		{"type:audio", Kind{Kind: KindAudio}},
		{"type:document", Kind{Kind: KindDocument}},
		{"type:other", Kind{Kind: KindOther}},
		{`type:"image"`, Kind{Kind: KindImage}},
		{"ext:jpg", Ext{Ext: "jpg"}},
		{"path:photos", Path{Prefix: "photos"}},
		{"path:/photos//2024/", Path{Prefix: "photos/2024"}},
		{`PATH:"Summer, late/ x "`, Path{Prefix: "Summer, late/x"}},
		{`path:a\b/./c`, Path{Prefix: "a/b/c"}},
		{"path:/", Path{Prefix: ""}},
		{"ext:.JPG", Ext{Ext: "jpg"}},
		{"ext:..tar.gz", Ext{Ext: "tar.gz"}},
		{"by:ann", By{Login: "ann"}},
		{"by:Ann.B", By{Login: "Ann.B"}},
		{"-by:ann", Not{By{Login: "ann"}}},

		// Dates.
		{"before:2024", Date{Before: true, At: day(2024, 1, 1)}},
		{"before:2024-05", Date{Before: true, At: day(2024, 5, 1)}},
		{"before:2024-05-17", Date{Before: true, At: day(2024, 5, 17)}},
		{"after:2024", Date{At: day(2025, 1, 1)}},
		{"after:2024-05", Date{At: day(2024, 6, 1)}},
		{"after:2024-12", Date{At: day(2025, 1, 1)}},
		{"after:2024-05-17", Date{At: day(2024, 5, 18)}},
		{"after:2024-02-29", Date{At: day(2024, 3, 1)}},
		{"after:2024-12-31", Date{At: day(2025, 1, 1)}},
		{"after:9999", Date{At: day(10000, 1, 1)}},
		{"before:0000", Date{Before: true, At: day(0, 1, 1)}},
		{"AFTER:2024", Date{At: day(2025, 1, 1)}},
		{"after:2020 before:2021", And{Date{At: day(2021, 1, 1)}, Date{Before: true, At: day(2021, 1, 1)}}},

		// Sizes and dimensions.
		{"size>10MB", Compare{Field: Size, Op: Greater, Value: 10 << 20}},
		{"size<1GB", Compare{Field: Size, Op: Less, Value: 1 << 30}},
		{"size>=2KB", Compare{Field: Size, Op: GreaterEqual, Value: 2048}},
		{"size<=1.5GB", Compare{Field: Size, Op: LessEqual, Value: 3 << 29}},
		{"size>1TB", Compare{Field: Size, Op: Greater, Value: 1 << 40}},
		{"size>100B", Compare{Field: Size, Op: Greater, Value: 100}},
		{"size>100", Compare{Field: Size, Op: Greater, Value: 100}},
		{"size>10mb", Compare{Field: Size, Op: Greater, Value: 10 << 20}},
		{"size>10Mb", Compare{Field: Size, Op: Greater, Value: 10 << 20}},
		{"size>0", Compare{Field: Size, Op: Greater, Value: 0}},
		{"size>.5KB", Compare{Field: Size, Op: Greater, Value: 512}},
		{"size>5.KB", Compare{Field: Size, Op: Greater, Value: 5120}},
		{"size>0.0005KB", Compare{Field: Size, Op: Greater, Value: 1}}, // 0.512 rounds up
		{"size>0.0004KB", Compare{Field: Size, Op: Greater, Value: 0}}, // 0.4096 rounds down
		{"size>0.5", Compare{Field: Size, Op: Greater, Value: 1}},      // half rounds up
		{"size>7.99999999TB", Compare{Field: Size, Op: Greater, Value: 8796093011213}},
		{"size>9223372036854775807", Compare{Field: Size, Op: Greater, Value: 1<<63 - 1}},
		{"size>8388607.999999999999TB", Compare{Field: Size, Op: Greater, Value: 1<<63 - 1}},
		{"size>10 MB", And{Compare{Field: Size, Op: Greater, Value: 10}, w("MB")}},
		{"SIZE>1kb", Compare{Field: Size, Op: Greater, Value: 1024}},
		{"width>1000", Compare{Field: Width, Op: Greater, Value: 1000}},
		{"height<=800", Compare{Field: Height, Op: LessEqual, Value: 800}},
		{"Width>=01", Compare{Field: Width, Op: GreaterEqual, Value: 1}},
		{"width>9223372036854775807", Compare{Field: Width, Op: Greater, Value: 1<<63 - 1}},
		{"size>10MB size<1GB", And{Compare{Field: Size, Op: Greater, Value: 10 << 20}, Compare{Field: Size, Op: Less, Value: 1 << 30}}},

		// Orientation and has.
		{"orientation:landscape", Orientation{Value: Landscape}},
		{"orientation:Portrait", Orientation{Value: Portrait}},
		{"orientation:square", Orientation{Value: Square}},
		{"has:gps", Has{What: "gps"}},
		{"has:GPS", Has{What: "gps"}},
		{"-has:gps", Not{Has{What: "gps"}}},

		// A bit of everything.
		{`(cat OR dog) -draft tag:"sky blue" type:image size>1MB after:2023 by:ann`, And{
			Or{w("cat"), w("dog")}, Not{w("draft")}, Tag{Name: "sky blue"}, Kind{Kind: KindImage},
			Compare{Field: Size, Op: Greater, Value: 1 << 20}, Date{At: day(2024, 1, 1)}, By{Login: "ann"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got, err := Parse(tt.q)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.q, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.q, diff)
			}
			roundTrip(t, got)
		})
	}
}

// roundTrip checks that Format writes x so that parsing gives x again.
func roundTrip(t *testing.T, x Expr) {
	t.Helper()
	f := Format(x)
	back, err := parse(f) // Format may exceed MaxQueryLen a little
	if err != nil {
		t.Fatalf("Format gave %q, which does not parse: %v", f, err)
	}
	if diff := cmp.Diff(x, back); diff != "" {
		t.Errorf("Format gave %q, which parses differently (-want +got):\n%s", f, diff)
	}
}

func TestParseErrors(t *testing.T) {
	fields := "use title, filename, description, camera, creator, copyright, credit, source, headline, caption, location, city, state, country, lens, tag, type, ext, path, by, before, after, taken, taken-before, taken-after, size, width, height, orientation or has"
	tests := []struct {
		q   string
		pos int
		msg string
	}{
		// Parentheses.
		{")", 0, `")" without "("`},
		{"a )", 2, `")" without "("`},
		{"(a))", 3, `")" without "("`},
		{"(", 0, `missing ")"`},
		{"a (b", 2, `missing ")"`},
		{"((a) b", 0, `missing ")"`},
		{"()", 0, `nothing between "(" and ")"`},
		{"a ( ) b", 2, `nothing between "(" and ")"`},
		{"-()", 1, `nothing between "(" and ")"`},

		// Keywords.
		{"OR", 0, `"OR" needs words on both sides`},
		{"OR a", 0, `"OR" needs words on both sides`},
		{"a OR", 2, `"OR" needs words on both sides`},
		{"a OR OR b", 2, `"OR" needs words on both sides`},
		{"(OR a)", 1, `"OR" needs words on both sides`},
		{"(a OR)", 3, `"OR" needs words on both sides`},
		{"a OR -", 2, `"OR" needs words on both sides`},
		{"AND", 0, `"AND" needs words on both sides`},
		{"AND a", 0, `"AND" needs words on both sides`},
		{"a AND", 2, `"AND" needs words on both sides`},
		{"a AND OR b", 2, `"AND" needs words on both sides`},
		{"a AND AND b", 2, `"AND" needs words on both sides`},
		{"a OR AND b", 2, `"OR" needs words on both sides`},
		{"(AND a)", 1, `"AND" needs words on both sides`},
		{"NOT", 0, `"NOT" needs a word after it`},
		{"a NOT", 2, `"NOT" needs a word after it`},
		{"NOT OR a", 0, `"NOT" needs a word after it`},
		{"(NOT)", 1, `"NOT" needs a word after it`},

		// Quotes and stars.
		{`"`, 0, `missing the closing quote of this one`},
		{`a "red car`, 2, `missing the closing quote of this one`},
		{`"a" "b`, 4, `missing the closing quote of this one`},
		{`""`, 0, `nothing between the quotes`},
		{`a "  "`, 2, `nothing between the quotes`},
		{"*", 0, `"*" needs the start of a word before it, as in sun*`},
		{"a -*", 3, `"*" needs the start of a word before it, as in sun*`},
		{"*sun", 0, `"*" only ends a word, as in sun*`},
		{"s*n", 1, `"*" only ends a word, as in sun*`},
		{"sun**", 3, `"*" only ends a word, as in sun*`},
		{"title:*", 6, `"*" needs the start of a word before it, as in sun*`},
		{"title:a*b", 7, `"*" only ends a word, as in sun*`},

		// Prefixes, the costliest terms.
		{"a*", 0, `"*" needs at least 2 letters or digits right before it, as in su*`},
		{"sun b*", 4, `"*" needs at least 2 letters or digits right before it, as in su*`},
		{"-(x OR 7*)", 7, `"*" needs at least 2 letters or digits right before it, as in su*`},
		{"IMG_2*", 0, `"*" needs at least 2 letters or digits right before it, as in su*`},
		{"title:é*", 6, `"*" needs at least 2 letters or digits right before it, as in su*`},
		{"e\u0301*", 0, `"*" needs at least 2 letters or digits right before it, as in su*`},
		{"ab* cd* ef* gh* ij* kl* mn* op* qr*", 32, `more than 8 words ending in "*"`},
		{"(ab* OR cd*) -(ef* gh* ij*) title:kl* mn* filename:op* description:qr*", 55, `more than 8 words ending in "*"`},

		// Fields.
		{"foo:bar", 0, `unknown field "foo": ` + fields},
		{"sunset Foo:bar", 7, `unknown field "Foo": ` + fields},
		{"-foo:bar", 1, `unknown field "foo": ` + fields},
		{"https://example.com", 0, `unknown field "https": ` + fields},
		{"été:x", 0, `unknown field "été": ` + fields},
		{"title:", 0, "title: needs a value"},
		{"TITLE:", 0, "title: needs a value"},
		{`title: "a"`, 0, "title: needs a value"},
		{`title:""`, 6, "nothing between the quotes"},
		{`tag:`, 0, "tag: needs a value"},
		{`tag:" "`, 4, "tag: needs a value"},
		{`by:`, 0, "by: needs a value"},
		{`title:(a)`, 0, "title: needs a value"},
		{"title>5", 5, "use title:, not title>"},
		{"tag<5", 3, "use tag:, not tag<"},
		{"type:picture", 5, "type is image, video, audio, document or other"},
		{"type:", 0, "type: needs a value"},
		{"ext:.", 4, "ext: needs an extension, as in ext:jpg"},
		{`ext:"a b"`, 4, "ext: takes one extension, as in ext:jpg"},
		{"orientation:wide", 12, "orientation is landscape, portrait or square"},
		{"has:location", 4, "has: takes gps"},

		// Dates.
		{"before:24", 7, "before: takes a date: YYYY, YYYY-MM or YYYY-MM-DD"},
		{"before:2024-5", 7, "before: takes a date: YYYY, YYYY-MM or YYYY-MM-DD"},
		{"before:2024-05-1", 7, "before: takes a date: YYYY, YYYY-MM or YYYY-MM-DD"},
		{"before:2024/05/01", 7, "before: takes a date: YYYY, YYYY-MM or YYYY-MM-DD"},
		{"after:20240501", 6, "after: takes a date: YYYY, YYYY-MM or YYYY-MM-DD"},
		{"after:2024-05-01T10", 6, "after: takes a date: YYYY, YYYY-MM or YYYY-MM-DD"},
		{"after:+024", 6, "after: takes a date: YYYY, YYYY-MM or YYYY-MM-DD"},
		{"after:2024-1-011", 6, "after: takes a date: YYYY, YYYY-MM or YYYY-MM-DD"},
		{"after:yesterday", 6, "after: takes a date: YYYY, YYYY-MM or YYYY-MM-DD"},
		{"after:2024-13", 6, "after: 2024-13 is not a date"},
		{"after:2024-00", 6, "after: 2024-00 is not a date"},
		{"after:2023-02-29", 6, "after: 2023-02-29 is not a date"},
		{"after:2024-04-31", 6, "after: 2024-04-31 is not a date"},
		{"after:2024-04-00", 6, "after: 2024-04-00 is not a date"},

		// Sizes and dimensions.
		{"size:10MB", 4, "size compares with <, >, <= or >=, as in size>10MB"},
		{"size=10MB", 4, "size compares with <, >, <= or >=, as in size>10MB"},
		{"width:10", 5, "width compares with <, >, <= or >=, as in width>1000"},
		{"size>", 4, `size> needs a number, as in size>10MB`},
		{"height<=", 6, `height<= needs a number, as in height>1000`},
		{"size>-5", 5, "size can't be negative"},
		{"width>-5", 6, "width can't be negative"},
		{"size>MB", 5, "size takes a number, as in size>10MB or size<1.5GB"},
		{"size>.", 5, "size takes a number, as in size>10MB or size<1.5GB"},
		{"size>1.2.3", 5, "size takes a number, as in size>10MB or size<1.5GB"},
		{"size>>5", 5, "size takes a number, as in size>10MB or size<1.5GB"},
		{"size>1e6", 6, `unknown unit "e6": use B, KB, MB, GB or TB`},
		{"size>10PB", 7, `unknown unit "PB": use B, KB, MB, GB or TB`},
		{"size>10\u212AB", 7, "unknown unit \"\u212AB\": use B, KB, MB, GB or TB"},
		{"size>8388608TB", 5, "size is too large"},
		{"size>9223372036854775808", 5, "size is too large"},
		{"size>8388607.9999999999999999TB", 5, "size is too large"},
		{"width>1.5", 6, "width is a whole number of pixels, as in width>1000"},
		{"width>10px", 6, "width is a whole number of pixels, as in width>1000"},
		{"width>9223372036854775808", 6, "width is too large"},

		// Limits and encoding.
		{strings.Repeat("a ", 64) + "b", 128, "more than 64 terms"},
		{strings.Repeat("(", 17) + "a" + strings.Repeat(")", 17), 16, "nested more than 16 deep"},
		{strings.Repeat("-", 17) + "a", 16, "nested more than 16 deep"},
		{strings.Repeat("NOT ", 8) + strings.Repeat("(", 9) + "a", 40, "nested more than 16 deep"},
		{strings.Repeat("a", 1001), 1000, "the query is longer than 1000 bytes"},
		{"a\x00b", 1, "the query holds a NUL character"},
		{"ab \xff", 3, "the query is not valid UTF-8"},
		{"é\xc3", 2, "the query is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			x, err := Parse(tt.q)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) = %#v, %v; want an *Error", tt.q, x, err)
			}
			if x != nil {
				t.Errorf("Parse(%q) returned %#v with its error", tt.q, x)
			}
			want := &Error{Pos: tt.pos, Msg: tt.msg}
			if utf8.ValidString(tt.q[:min(tt.pos, len(tt.q))]) {
				want.Char = utf8.RuneCountInString(tt.q[:min(tt.pos, len(tt.q))]) + 1
			}
			if diff := cmp.Diff(want, e); diff != "" {
				t.Errorf("Parse(%q) error (-want +got):\n%s", tt.q, diff)
			}
		})
	}
}

// TestParseLimits checks that queries right at the limits parse.
func TestParseLimits(t *testing.T) {
	for _, q := range []string{
		strings.Repeat("a ", 63) + "b",
		strings.Repeat("(", 16) + "a" + strings.Repeat(")", 16),
		strings.Repeat("-", 16) + "a",
		strings.Repeat("NOT ", 8) + strings.Repeat("(", 8) + "a" + strings.Repeat(")", 8),
		strings.Repeat("a", 1000),
		strings.Repeat("a OR ", 63) + "b",
		strings.Repeat(" ", 1000),
	} {
		x, err := Parse(q)
		if err != nil {
			t.Errorf("Parse(%.40q...): %v", q, err)
			continue
		}
		roundTrip(t, x)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		q, want string
	}{
		{"", ""},
		{"a  AND b", "a b"},
		{"NOT a", "-a"},
		{"NOT (a OR b) c", "-(a OR b) c"},
		{"(a b) OR c", "a b OR c"},
		{"(a OR b) (c OR d)", "(a OR b) (c OR d)"},
		{"-(a b)", "-(a b)"},
		{"--a", "--a"},
		{`"a  b"`, `"a b"`},
		{`"a"`, "a"},
		{`"OR" "-x" "sun*" "title:x" "10:30" "love<3" "size>3" "size=3"`, `"OR" "-x" "sun*" "title:x" 10:30 love<3 "size>3" "size=3"`},
		{"TITLE:a Title:sun* title:10:30", "title:a title:sun* title:10:30"},
		{`title:"a" title:"a b" title:"sun*"`, `title:a title:"a b" title:"sun*"`},
		{`tag:"sky" tag:"sky blue" TAG:a:b`, `tag:sky tag:"sky blue" tag:a:b`},
		{"type:IMAGE ext:.JPG by:ann", "type:image ext:jpg by:ann"},
		{"orientation:Square has:GPS", "orientation:square has:gps"},
		{`path:/a//b/ path:/ path:"a b/c"`, `path:a/b path:/ path:"a b/c"`},
		{"before:2024-01-01 before:2024-05-01 before:2024-05-17", "before:2024 before:2024-05 before:2024-05-17"},
		{"after:2024-12-31 after:2024-12 after:2024-01 after:2024-05-17 after:2024-02-29", "after:2024 after:2024 after:2024-01 after:2024-05-17 after:2024-02"},
		{"after:9999 before:0000", "after:9999 before:0000"},
		{"size>1024 size>1536 size>1.5GB size>10485760 size>0 size>1500 size>.1TB", "size>1KB size>1536 size>1.5GB size>10MB size>0 size>1500 size>0.1TB"},
		{"size>9223372036854775807 size>8388607TB", "size>9223372036854775807 size>8388607TB"},
		{"width>=01", "width>=1"},
	}
	for _, tt := range tests {
		x, err := Parse(tt.q)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.q, err)
		}
		if got := Format(x); got != tt.want {
			t.Errorf("Format(Parse(%q)) = %q, want %q", tt.q, got, tt.want)
		}
		roundTrip(t, x)
	}
}

func FuzzParse(f *testing.F) {
	for _, q := range []string{
		"", "sunset beach", `"red car"`, "sun*", "-draft", "cat OR dog", "(cat OR dog) -draft",
		"title:sunset", `tag:"sky blue"`, "type:image", "ext:.JPG", "by:ann", "before:2024-05",
		"after:2024", "size>10MB size<1.5GB", "width>1000 height<=800", "orientation:portrait",
		"has:gps", "NOT (a OR b) AND c", "10:30", "foo:bar", "((a)", `"a b""c d"`, "a - b", "--a",
		"size>.1TB", "after:2024-02-29", "path:/a//b/", `path:"x y/z"`, "path:/", `title:"a"b`, "-OR", "é\xff",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		x, err := Parse(q)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q): %v is a %T, not an *Error", q, err, err)
			}
			if e.Pos < 0 || e.Pos > len(q) {
				t.Fatalf("Parse(%q): %v: position out of 0..%d", q, err, len(q))
			}
			if x != nil {
				t.Fatalf("Parse(%q) returned %#v with its error", q, x)
			}
			return
		}
		f := Format(x)
		back, err := Parse(f)
		if len(f) > MaxQueryLen {
			back, err = parse(f) // see Format
		}
		if err != nil {
			t.Fatalf("Parse(%q) = %#v, whose Format %q does not parse: %v", q, x, f, err)
		}
		if diff := cmp.Diff(x, back); diff != "" {
			t.Fatalf("Parse(%q): Format gave %q, which parses differently (-want +got):\n%s", q, f, diff)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	const q = `(cat OR dog) -draft tag:"sky blue" type:image size>1.5MB after:2023-06 title:sun*`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(q); err != nil {
			b.Fatal(err)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := Parse("sunset foo:bar")
	want := `at character 8: unknown field "foo": use title, filename, description, camera, creator, copyright, credit, source, headline, caption, location, city, state, country, lens, tag, type, ext, path, by, before, after, taken, taken-before, taken-after, size, width, height, orientation or has`
	if err == nil || err.Error() != want {
		t.Errorf("Parse error = %v, want %s", err, want)
	}
}

// TestPrefixCount checks what counts against MaxPrefixes: prefixes of any
// field, and not one without a word to expand.
func TestPrefixCount(t *testing.T) {
	eight := "ab* title:cd* -ef* (gh* OR ij*) kl* mn* op*"
	for _, tt := range []struct {
		q  string
		ok bool
	}{
		{eight, true},
		{eight + " .*", true},
		{eight + ` "qr*"`, true},
		{eight + " qr", true},
		{eight + " qr*", false},
		{eight + " camera:qr*", false},
	} {
		_, err := Parse(tt.q)
		if (err == nil) != tt.ok {
			t.Errorf("Parse(%q): %v, want ok %v", tt.q, err, tt.ok)
		}
	}
}
