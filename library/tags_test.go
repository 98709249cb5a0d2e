package library_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/library"
)

// tagList is n tag names from prefix, separated by commas.
func tagList(prefix string, n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return strings.Join(names, ",")
}

// Tag limits hold on create, update and the selection's tagging, and a
// refused request makes no tag.
func TestTagLimits(t *testing.T) {
	ctx := t.Context()
	now := time.Now()
	svc, _ := newService(t, &now)
	_, member, _, _ := roles(t, svc)
	a := addAsset(t, svc, member, "a")
	b := addAsset(t, svc, member, "b")
	tagCount := func() int {
		_, n, err := svc.Tags(ctx, member, damask.Page{Number: 1, Size: 1})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	update := func(list string) error {
		_, err := svc.UpdateAsset(ctx, member, a.ID, library.AssetInput{Tags: &list})
		return err
	}
	refused := func(t *testing.T, what string, err error, tags int) {
		t.Helper()
		if damask.ErrorCode(err) != damask.EINVALID || !strings.Contains(damask.ErrorMessage(err), "100") {
			t.Errorf("%s: %v, want EINVALID stating the limit", what, err)
		}
		if n := tagCount(); n != tags {
			t.Errorf("%s: %d tags, want %d", what, n, tags)
		}
	}

	refused(t, "5000 new tags", update(tagList("t", 5000)), 0)
	refused(t, "101 new tags", update(tagList("t", library.MaxAssetTags+1)), 0)
	f, err := svc.ReceiveFile(ctx, member, library.FileInput{Body: strings.NewReader("c"), Filename: "c.txt", Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	many := tagList("t", 5000)
	_, err = svc.CreateAsset(ctx, member, library.AssetInput{File: f, Tags: &many})
	refused(t, "an asset created with 5000 tags", err, 0)

	// One name thousands of times is one tag.
	if err := update(strings.Repeat("same,", 5000)); err != nil {
		t.Errorf("one tag 5000 times: %v", err)
	}
	if err := update(tagList("t", library.MaxAssetTags)); err != nil {
		t.Fatalf("as many tags as allowed: %v", err)
	}
	if got, _ := svc.Asset(ctx, member, a.ID); len(got.Tags) != library.MaxAssetTags {
		t.Errorf("the asset carries %d tags, want %d", len(got.Tags), library.MaxAssetTags)
	}
	// The same names in another case count once.
	if err := update(strings.ToUpper(tagList("t", library.MaxAssetTags)) + "," + tagList("t", library.MaxAssetTags)); err != nil {
		t.Errorf("the same tags in two cases: %v", err)
	}
	tags := tagCount() // "same" and t0..t99

	// The selection: checked on every asset before any changes.
	if err := svc.TagAssets(ctx, member, []int64{b.ID, a.ID}, "extra", true); damask.ErrorCode(err) != damask.EINVALID {
		t.Errorf("a 101st tag on a: %v", err)
	}
	if got, _ := svc.Asset(ctx, member, b.ID); len(got.Tags) != 0 {
		t.Errorf("b tagged although a was refused: %v", got.Tags)
	}
	refused(t, "5000 tags on a selection", svc.TagAssets(ctx, member, []int64{b.ID}, tagList("n", 5000), true), tags)
	if err := svc.TagAssets(ctx, member, []int64{b.ID}, "sky blue", true); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Asset(ctx, member, b.ID); len(got.Tags) != 1 || got.Tags[0].Name != "sky blue" {
		t.Errorf("b's tags: %v, want one: sky blue", got.Tags)
	}
	if err := svc.TagAssets(ctx, member, []int64{a.ID, b.ID}, "t0,sky blue", false); err != nil {
		t.Fatal(err)
	}
	ga, _ := svc.Asset(ctx, member, a.ID)
	gb, _ := svc.Asset(ctx, member, b.ID)
	if len(ga.Tags) != library.MaxAssetTags-1 || len(gb.Tags) != 0 {
		t.Errorf("after untagging: a has %d tags, b %v", len(ga.Tags), gb.Tags)
	}
}
