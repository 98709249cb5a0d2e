package search

import (
	"reflect"
	"strings"
	"testing"
)

func TestFallback(t *testing.T) {
	w := func(v string) Word { return Word{Value: v} }
	tests := []struct {
		q     string
		words []Expr
		rest  And
		ok    bool
	}{
		{"sunset beach photos", []Expr{w("sunset"), w("beach"), w("photos")}, nil, true},
		{`"red car" harbour`, []Expr{Phrase{Words: []string{"red", "car"}}, w("harbour")}, nil, true},
		{"sun* lake type:image -draft", []Expr{Word{Value: "sun", Prefix: true}, w("lake")},
			And{Kind{Kind: KindImage}, Not{X: w("draft")}}, true},
		{"sunset", []Expr{w("sunset")}, nil, false},
		{"sunset title:lake", []Expr{w("sunset")}, And{Word{Field: Title, Value: "lake"}}, false},
		{"sunset OR lake", nil, And{Or{w("sunset"), w("lake")}}, false},
		{"sunset ... lake", []Expr{w("sunset"), w("lake")}, And{w("...")}, true},
		{"a b c d e f g h i j", []Expr{w("a"), w("b"), w("c"), w("d"), w("e"), w("f"), w("g"), w("h")},
			And{w("i"), w("j")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			x, err := Parse(tt.q)
			if err != nil {
				t.Fatal(err)
			}
			words, rest, ok := Fallback(x)
			if !reflect.DeepEqual(words, tt.words) || !reflect.DeepEqual(rest, tt.rest) || ok != tt.ok {
				t.Errorf("Fallback = %v, %v, %v; want %v, %v, %v", words, rest, ok, tt.words, tt.rest, tt.ok)
			}
		})
	}
}

func TestAtLeast(t *testing.T) {
	ws := func(s string) []Expr {
		var out []Expr
		for _, f := range strings.Fields(s) {
			out = append(out, Word{Value: f})
		}
		return out
	}
	w := func(v string) Word { return Word{Value: v} }
	tests := []struct {
		n     int
		words string
		want  Expr
	}{
		{1, "a b c", Or{w("a"), w("b"), w("c")}},
		{2, "a b", And{w("a"), w("b")}},
		{2, "a b c", Or{And{w("a"), Or{w("b"), w("c")}}, And{w("b"), w("c")}}},
	}
	for _, tt := range tests {
		if got := AtLeast(tt.n, ws(tt.words)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("AtLeast(%d, %s) = %v, want %v", tt.n, tt.words, got, tt.want)
		}
	}
}

func TestFallbackRest(t *testing.T) {
	w := func(v string) Word { return Word{Value: v} }
	k := Kind{Kind: KindImage}
	tests := []struct {
		q     Expr
		words int
		want  And
	}{
		{Or{w("a"), w("b")}, 2, And{}},
		{And{k, Or{w("a"), w("b")}}, 2, And{k}},
		{And{k, Or{w("a"), w("b")}}, 3, And{k, Or{w("a"), w("b")}}}, // not the words: kept whole
		{k, 2, And{k}},
	}
	for _, tt := range tests {
		if got := FallbackRest(tt.q, tt.words); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("FallbackRest(%v, %d) = %#v, want %#v", tt.q, tt.words, got, tt.want)
		}
	}
}
