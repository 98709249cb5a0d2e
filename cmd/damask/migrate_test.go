package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"damask/blob/s3/s3test"
	"damask/postgres/pgtest"
	"damask/servertest"
)

const (
	migrateAssets  = 300 // of which migrateJPEGs are photos, the rest small text files
	migrateJPEGs   = 4
	migratePause   = 100 // files copied before the first run is killed
	migrateDomain  = "damask.test"
	migrateBossPW  = "boss-password-1234"
	migrateAlicePW = "alice-password-1234"
	migrateStagePW = "stage-password-1234"
	emptySHA256    = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// ids answers the ids of the assets of a list, in its order.
func ids(c servertest.Client, path string) []int64 {
	c.T.Helper()
	var list struct {
		Assets []assetXML `xml:"asset"`
	}
	if err := xml.Unmarshal(c.Must(200, "GET", path, "", nil), &list); err != nil {
		c.T.Fatal(err)
	}
	var ids []int64
	for _, x := range list.Assets {
		ids = append(ids, x.ID)
	}
	return ids
}

// snapshotFiles answers the SHA-256 of every file under dir, by path.
func snapshotFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		sums[p] = hex.EncodeToString(h[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

// libraryView is what a client sees of the library, compared before and
// after the move.
type libraryView struct {
	assets   map[int64]string // id to the SHA-256 of its download
	other    map[int64]string // the second account's
	searches map[string][]int64
	tags     string // the tag list, with ids and counts
	users    string
	versions string // asset 11's second version
	// collections are the collection list, the ordered set's assets in
	// order and the saved search's.
	collections string
	set, found  []int64
	// stages, inboxes, webhooks are their lists; stageLog the Stage's
	// access log; deliveries the webhook's; events the account's feed.
	stages, stageLog, inboxes, webhooks, deliveries, events string
}

func viewLibrary(t *testing.T, admin, boss servertest.Client, c *http.Client, s *servertest.Server) libraryView {
	t.Helper()
	v := libraryView{assets: map[int64]string{}, other: map[int64]string{}, searches: map[string][]int64{}}
	for id := range listAssets(t, c, s) {
		v.assets[id], _ = download(t, c, s, id)
	}
	for _, id := range ids(boss, "/api/assets.xml?per_page=100") {
		b := boss.Must(200, "GET", fmt.Sprintf("/api/assets/download/%d", id), "", nil)
		h := sha256.Sum256(b)
		v.other[id] = hex.EncodeToString(h[:])
	}
	for _, q := range []string{"harbour", "report", "harb*", "tag:even", "filename:note-01*", "type:image", "ship"} {
		v.searches[q] = ids(admin, "/api/assets.xml?per_page=100&query="+url.QueryEscape(q))
	}
	v.tags = string(admin.Must(200, "GET", "/api/tags.xml", "", nil))
	v.users = string(admin.Must(200, "GET", "/api/users.xml", "", nil))
	v.versions = string(admin.Must(200, "GET", "/api/assets/11/versions/2.xml", "", nil))
	v.collections = string(admin.Must(200, "GET", "/api/collections.xml", "", nil))
	v.set = ids(admin, "/api/collections/1/assets.xml?per_page=100")
	v.found = ids(admin, "/api/collections/2/assets.xml?per_page=100")
	v.stages = string(admin.Must(200, "GET", "/api/stages.xml", "", nil))
	v.stageLog = string(admin.Must(200, "GET", "/api/stages/1/log.xml", "", nil))
	v.inboxes = string(admin.Must(200, "GET", "/api/inboxes.xml", "", nil))
	v.webhooks = string(admin.Must(200, "GET", "/api/webhooks.xml", "", nil))
	v.deliveries = string(admin.Must(200, "GET", "/api/webhooks/1/deliveries.xml", "", nil))
	v.events, _ = eventFeed(t, admin)
	return v
}

// eventFeed is the account's whole feed, read page by page, and the id
// of its newest event.
func eventFeed(t *testing.T, c servertest.Client) (string, int64) {
	t.Helper()
	var (
		feed strings.Builder
		last int64
	)
	for {
		doc := c.Must(200, "GET", fmt.Sprintf("/api/events.xml?after=%d", last), "", nil)
		var page struct {
			IDs []int64 `xml:"event>id"`
		}
		if err := xml.Unmarshal(doc, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.IDs) == 0 {
			return feed.String(), last
		}
		feed.Write(doc)
		last = page.IDs[len(page.IDs)-1]
	}
}

// addressOf is the path of the url a Stage's or an Inbox's document gives.
func addressOf(t *testing.T, doc []byte) string {
	t.Helper()
	var d struct {
		URL string `xml:"url"`
	}
	if err := xml.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(d.URL)
	if err != nil || u.Path == "" {
		t.Fatalf("url %q: %v", d.URL, err)
	}
	return u.Path
}

// openStage gives a Stage's password in a new browser and answers the
// Stage's page.
func openStage(t *testing.T, s *servertest.Server, path, password string) (int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	res, err := c.PostForm(s.URL(path), url.Values{"password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res.StatusCode, string(body)
}

// sendToInbox sends one file through an Inbox's form.
func sendToInbox(t *testing.T, s *servertest.Server, path string) {
	t.Helper()
	body, contentType := servertest.Multipart("sent.txt", []byte("sent through the Inbox"), "name", "Rosa", "email", "rosa@client.test")
	res, err := http.Post(s.URL(path), contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("send to the Inbox: %d\n%s", res.StatusCode, b)
	}
}

// TestMigrateLibrary makes a library through the API of a real server on
// a data folder, moves it to PostgreSQL and S3 with a first run killed
// (SIGKILL) part-way through the files, and checks what a server on the
// result answers against what the first answered: every download byte
// for byte, the ids, searches, tags, users, versions, a token, sign-in of
// every user, thumbnails; and `damask check` on the result.
func TestMigrateLibrary(t *testing.T) {
	if testing.Short() {
		t.Skip("moves a library of 300 files between real servers")
	}
	bin := servertest.Build(t)
	data := t.TempDir()
	c := &http.Client{Timeout: time.Minute}
	// --rate 0: the checks download every file at once, far past a
	// client's usual rate.
	// --allow-outgoing: the webhook's receiver listens on 127.0.0.1.
	src := servertest.Serve(t, bin, data, "--domain", migrateDomain, "--rate", "0", "--allow-outgoing", "127.0.0.0/8")
	admin := servertest.Client{T: t, HTTP: c, S: src, Login: "admin", PW: servertest.AdminPassword}

	cmd := func(env []string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		x := exec.CommandContext(ctx, bin, args...)
		x.Env = servertest.CleanEnv(env...)
		out, err := x.CombinedOutput()
		if err != nil {
			t.Fatalf("damask %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	cmd(nil, "account", "api", "default", "on", "--data", data)
	src.WaitReady(c)
	cmd([]string{"DAMASK_PASSWORD=" + migrateBossPW}, "account", "create", "acme", "--holder", "boss",
		"--email", "boss@acme.test", "--data", data)
	cmd(nil, "account", "api", "acme", "on", "--data", data)
	boss := servertest.Client{T: t, HTTP: c, S: src, Host: "acme." + migrateDomain, Login: "boss", PW: migrateBossPW}

	admin.Form(201, "POST", "/api/users.xml", "", nil, "login", "alice", "email", "alice@example.test",
		"password", migrateAlicePW, "role", "member")
	var tok struct {
		Token string `xml:"token"`
	}
	if err := xml.Unmarshal(admin.Form(201, "POST", "/api/tokens.xml", "", nil, "name", "ci"), &tok); err != nil || tok.Token == "" {
		t.Fatalf("token: %v %q", err, tok.Token)
	}

	jpeg, err := os.ReadFile("../../media/testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	var photos []int64
	for i := range migrateAssets {
		name, data := fmt.Sprintf("note-%03d.txt", i), []byte(fmt.Sprintf("note %d of the library\n", i))
		title := fmt.Sprintf("Field report %d", i)
		if i%3 == 0 {
			title = fmt.Sprintf("Harbour note %d", i)
		}
		if i < migrateJPEGs {
			name, data = fmt.Sprintf("harbour-%d.jpg", i), append(slices.Clone(jpeg), fmt.Sprintf("copy %d", i)...)
		}
		tags := fmt.Sprintf("batch-%d", i%5)
		if i%2 == 0 {
			tags += ", even"
		}
		acct := admin
		if i%10 == 9 {
			acct = boss
		}
		var a assetXML
		if err := xml.Unmarshal(acct.Form(201, "POST", "/api/assets.xml", name, data, "title", title, "tags", tags), &a); err != nil {
			t.Fatal(err)
		}
		if i < migrateJPEGs {
			photos = append(photos, a.ID)
		}
	}
	// Versions, a description, an asset in the trash.
	for _, id := range []int64{11, 12, 13} {
		admin.Form(201, "POST", fmt.Sprintf("/api/assets/%d/versions.xml", id), "second.txt",
			[]byte(fmt.Sprintf("second version of %d", id)), "comment", "again")
	}
	admin.Form(200, "PUT", "/api/assets/5.xml", "", nil, "description", "a ship in the harbour")
	// Asset 7 goes to the trash from the collection made here, hidden there.
	admin.Form(201, "POST", "/api/collections.xml", "", nil, "title", "Harbour", "asset_ids", "3,1,7,2")
	admin.Must(200, "DELETE", "/api/assets/7.xml", "", nil)
	// Collections: an ordered set, a saved search, the newest deleted (an
	// id never given again), and a guest limited to the set.
	admin.Form(201, "POST", "/api/collections.xml", "", nil, "title", "Reports", "query", "report")
	admin.Form(201, "POST", "/api/collections.xml", "", nil, "title", "Gone")
	admin.Must(200, "DELETE", "/api/collections/3.xml", "", nil)
	admin.Form(201, "POST", "/api/users.xml", "", nil, "login", "gus", "email", "gus@example.test",
		"password", migrateAlicePW, "role", "guest", "collection_ids", "1")
	gus := servertest.Client{T: t, HTTP: c, S: src, Login: "gus", PW: migrateAlicePW}
	gusSees := ids(gus, "/api/assets.xml?per_page=100")
	if len(gusSees) != 3 {
		t.Fatalf("the limited guest sees %v, want the set's 3", gusSees)
	}
	// A webhook with a delivery; a Stage of the set with a password,
	// recipients and a watermark, visited (its access log); an Inbox
	// that received a file; and the events of all that.
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	admin.Must(201, "POST", "/api/webhooks.json", "application/json", fmt.Appendf(nil, `{"url": %q, "events": ["inbox."]}`, hook.URL+"/hook"))
	stagePath := addressOf(t, admin.Form(201, "POST", "/api/stages.xml", "", nil, "collection_id", "1", "title", "Harbour proofs",
		"password", migrateStagePW, "recipients", "rosa@client.test, sam@client.test", "watermark", "PROOF",
		"watermark_position", "tiled", "watermark_opacity", "60"))
	if status, page := openStage(t, src, stagePath, migrateStagePW); status != http.StatusOK || !strings.Contains(page, "Harbour proofs") {
		t.Fatalf("the Stage before the move: %d\n%s", status, page)
	}
	inboxPath := addressOf(t, admin.Form(201, "POST", "/api/inboxes.xml", "", nil, "title", "Harbour drop box"))
	sendToInbox(t, src, inboxPath)
	for i := 0; !strings.Contains(string(admin.Must(200, "GET", "/api/webhooks/1/deliveries.xml", "", nil)), "<state>delivered</state>"); i++ {
		if i == 600 {
			t.Fatal("the webhook's delivery was not made within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, id := range photos {
		waitProcessed(t, c, src, id)
	}
	before := viewLibrary(t, admin, boss, c, src)
	if !strings.Contains(before.stageLog, "<action>") || !strings.Contains(before.events, "inbox.received") {
		t.Fatalf("before the move: no access log or no inbox.received event\n%s\n%s", before.stageLog, before.events)
	}
	// One in the trash, one more from the Inbox.
	if len(before.assets)+len(before.other) != migrateAssets || len(before.searches["type:image"]) != migrateJPEGs {
		t.Fatalf("the library holds %d+%d assets, %d images", len(before.assets), len(before.other), len(before.searches["type:image"]))
	}
	_, lastEvent := eventFeed(t, admin)
	src.Stop()
	untouched := snapshotFiles(t, data)

	blobs, bucket := s3test.Start(t)
	db := pgtest.Database(t, "")
	migrate := []string{"migrate-library", "--from", data, "--to-db", db, "--to-blobs", blobs}

	// The first run is killed part-way through the files.
	first := exec.Command(bin, append(slices.Clone(migrate), "--test-pause-after", strconv.Itoa(migratePause))...)
	first.Env = servertest.CleanEnv()
	var firstOut servertest.LockedBuffer
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	firstDone := make(chan error, 1)
	go func() { firstDone <- first.Wait() }()
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(firstOut.String(), "paused after") {
		select {
		case err := <-firstDone:
			t.Fatalf("the first run ended: %v\n%s", err, &firstOut)
		default:
		}
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatalf("the first run did not copy %d files within 3 minutes\n%s", migratePause, &firstOut)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-firstDone
	copied := 0
	filepath.WalkDir(bucket, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && len(d.Name()) == 64 {
			copied++
		}
		return nil
	})
	if copied < migratePause {
		t.Errorf("the bucket holds %d files after the first run, want at least %d", copied, migratePause)
	}

	out := cmd(nil, migrate...)
	if !strings.Contains(out, fmt.Sprintf("(%d already there)", migratePause)) || !strings.Contains(out, "moved:") {
		t.Errorf("the second run does not say it skipped %d files and moved the rest:\n%s", migratePause, out)
	}
	t.Logf("second run:\n%s", out)
	if out := cmd(nil, migrate...); !strings.Contains(out, "nothing to do") {
		t.Errorf("a run after the end does not say there is nothing to do:\n%s", out)
	}
	if out := cmd(nil, "check", "--db", db, "--blobs", blobs, "--data", t.TempDir()); !strings.Contains(out, "ok:") {
		t.Errorf("damask check on the result:\n%s", out)
	}
	if got := snapshotFiles(t, data); !maps.Equal(got, untouched) {
		for p, sum := range got {
			// Any reader of a WAL database makes these companions of
			// the file when they are missing; the log stays empty.
			_, before := untouched[p]
			if !before && strings.HasSuffix(p, "-shm") || !before && strings.HasSuffix(p, "-wal") && sum == emptySHA256 {
				continue
			}
			if untouched[p] != sum {
				t.Errorf("the migration changed or made %s", p)
			}
		}
		for p := range untouched {
			if _, ok := got[p]; !ok {
				t.Errorf("the migration removed %s", p)
			}
		}
	}

	// The old secret key: the webhooks' secrets are sealed with it.
	dst := servertest.Start(t, bin, nil, "Damask is listening on ", "serve", "--addr", "127.0.0.1:0", "--domain", migrateDomain, "--rate", "0",
		"--db", db, "--blobs", blobs, "--data", t.TempDir(), "--secret-key-file", filepath.Join(data, "secret.key"))
	dst.WaitReady(c)
	admin.S, boss.S = dst, dst
	after := viewLibrary(t, admin, boss, c, dst)
	if !maps.Equal(after.assets, before.assets) || !maps.Equal(after.other, before.other) {
		t.Errorf("downloads differ after the move: %d and %d assets, were %d and %d",
			len(after.assets), len(after.other), len(before.assets), len(before.other))
		for _, m := range [][2]map[int64]string{{before.assets, after.assets}, {before.other, after.other}} {
			for id, sum := range m[0] {
				if m[1][id] != sum {
					t.Errorf("asset %d: downloaded %q, was %q", id, m[1][id], sum)
				}
			}
		}
	}
	for q, ids := range before.searches {
		if !slices.Equal(after.searches[q], ids) {
			t.Errorf("search %q finds %v, found %v", q, after.searches[q], ids)
		}
	}
	for _, x := range []struct{ what, before, after string }{
		{"tags", before.tags, after.tags}, {"users", before.users, after.users}, {"version", before.versions, after.versions},
		{"collections", before.collections, after.collections},
		{"the set's assets", fmt.Sprint(before.set), fmt.Sprint(after.set)},
		{"the saved search's assets", fmt.Sprint(before.found), fmt.Sprint(after.found)},
		// The addresses name the server's host: the same secrets at
		// the new one.
		{"stages", strings.ReplaceAll(before.stages, src.Addr, dst.Addr), after.stages},
		{"the Stage's access log", before.stageLog, after.stageLog},
		{"inboxes", strings.ReplaceAll(before.inboxes, src.Addr, dst.Addr), after.inboxes}, {"webhooks", before.webhooks, after.webhooks},
		{"deliveries", before.deliveries, after.deliveries}, {"events", before.events, after.events},
	} {
		if x.before != x.after {
			t.Errorf("%s differ:\nbefore %s\nafter  %s", x.what, x.before, x.after)
		}
	}
	gus.S = dst
	if got := ids(gus, "/api/assets.xml?per_page=100"); !slices.Equal(got, gusSees) {
		t.Errorf("the limited guest sees %v after the move, saw %v", got, gusSees)
	}
	var col struct {
		ID int64 `xml:"id"`
	}
	if err := xml.Unmarshal(admin.Form(201, "POST", "/api/collections.xml", "", nil, "title", "After"), &col); err != nil || col.ID != 4 {
		t.Errorf("a new collection has id %d (%v), want 4: a deleted one's id is never given again", col.ID, err)
	}
	// The Stage opens at its address with its password, the Inbox at its.
	if status, page := openStage(t, dst, stagePath, migrateStagePW); status != http.StatusOK || !strings.Contains(page, "Harbour proofs") {
		t.Errorf("the Stage after the move: %d\n%s", status, page)
	}
	if status, _ := openStage(t, dst, stagePath, "not the password"); status != http.StatusUnauthorized {
		t.Errorf("the Stage after the move, a wrong password: %d, want 401", status)
	}
	if res, err := c.Get(dst.URL(inboxPath)); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("the Inbox after the move: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	sendToInbox(t, dst, inboxPath)
	token := servertest.Client{T: t, HTTP: c, S: dst, Token: tok.Token}
	token.Must(200, "GET", "/api/user.xml", "", nil)
	alice := servertest.Client{T: t, HTTP: c, S: dst, Login: "alice", PW: migrateAlicePW}
	alice.Must(200, "GET", "/api/user.xml", "", nil)
	boss.Must(200, "GET", "/api/user.xml", "", nil)
	for _, id := range photos {
		a := getAsset(t, c, dst, strconv.FormatInt(id, 10))
		if a.Processing != "done" || a.Thumb == "" {
			t.Fatalf("photo %d: processing %q, thumb %q", id, a.Processing, a.Thumb)
		}
		if got := fetchFile(t, c, a.Thumb); !bytes.HasPrefix(got, []byte{0xff, 0xd8}) {
			t.Errorf("thumbnail of photo %d is not a JPEG", id)
		}
	}
	// New records continue after the moved ones.
	var a assetXML
	if err := xml.Unmarshal(admin.Form(201, "POST", "/api/assets.xml", "new.txt", []byte("after the move")), &a); err != nil {
		t.Fatal(err)
	}
	if a.ID != migrateAssets+3 { // after the Inbox's, before and after the move
		t.Errorf("a new asset has id %d, want %d", a.ID, migrateAssets+3)
	}
	// The feed goes on from the moved events: the next id follows the
	// last one moved.
	var next struct {
		IDs []int64 `xml:"event>id"`
	}
	if err := xml.Unmarshal(admin.Must(200, "GET", fmt.Sprintf("/api/events.xml?after=%d", lastEvent), "", nil), &next); err != nil {
		t.Fatal(err)
	}
	if len(next.IDs) == 0 || next.IDs[0] != lastEvent+1 {
		t.Errorf("events after the last moved (%d): %v, want %d first", lastEvent, next.IDs, lastEvent+1)
	}
	dst.Stop()
	dst.CheckLog()
}

// waitProcessed waits until processing of the asset is over.
func waitProcessed(t *testing.T, c *http.Client, s *servertest.Server, id int64) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		a := getAsset(t, c, s, strconv.FormatInt(id, 10))
		if a.Processing == "done" {
			return
		}
		if a.Processing != "pending" {
			t.Fatalf("asset %d: processing %q (%s)", id, a.Processing, a.Error)
		}
		if time.Now().After(deadline) {
			t.Fatalf("asset %d still pending after 3 minutes", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestMigrateLibraryChecks moves a small library to a folder and checks
// what the command refuses: a destination holding another library, a
// source file whose bytes are not what their name says, a missing one.
func TestMigrateLibraryChecks(t *testing.T) {
	c := newCLI(t)
	c.env["DAMASK_PASSWORD"] = "long enough"
	c.must("", "account", "create", "acme", "--holder", "boss", "--email", "boss@example.com")
	a1 := addAsset(t, c, "acme", "one.txt", bytes.Repeat([]byte("one "), 1000))
	a2 := addAsset(t, c, "acme", "two.txt", bytes.Repeat([]byte("two "), 1000))
	path := func(ref fmt.Stringer) string {
		s := ref.String()
		return filepath.Join(c.data, "blobs", s[0:2], s)
	}
	migrate := func(db, blobs string) result {
		return c.runRaw("", "migrate-library", "--from", c.data, "--to-db", db, "--to-blobs", blobs)
	}

	// A flipped byte: the destination's hash differs from the name.
	good, err := os.ReadFile(path(a1.Blob))
	if err != nil {
		t.Fatal(err)
	}
	bad := slices.Clone(good)
	bad[10] ^= 1
	if err := os.WriteFile(path(a1.Blob), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	db, folder := pgtest.Database(t, ""), "file:"+t.TempDir()
	if r := migrate(db, folder); r.err == nil || !strings.Contains(r.err.Error(), "the source file is damaged") {
		t.Errorf("a damaged source file: %v\n%s", r.err, r.stderr)
	}
	os.WriteFile(path(a1.Blob), good, 0o600)

	// A missing file.
	two, _ := os.ReadFile(path(a2.Blob))
	os.Remove(path(a2.Blob))
	if r := migrate(db, folder); r.err == nil || !strings.Contains(r.err.Error(), "the source lacks file "+a2.Blob.String()) {
		t.Errorf("a missing source file: %v\n%s", r.err, r.stderr)
	}
	os.WriteFile(path(a2.Blob), two, 0o600)

	// Repaired, it moves (nothing was committed before), then is done.
	if r := migrate(db, folder); r.err != nil || !strings.Contains(r.stdout, "moved: 2 files") {
		t.Fatalf("move to a folder: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	if r := migrate(db, folder); r.err != nil || !strings.Contains(r.stdout, "nothing to do") {
		t.Errorf("again: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	if r := c.runRaw("", "check", "--db", db, "--blobs", folder, "--data", t.TempDir()); r.err != nil ||
		!strings.Contains(r.stdout, "ok: database intact, 2 stored files") {
		t.Errorf("check of the result: %v\n%s%s", r.err, r.stdout, r.stderr)
	}

	// Another library is never mixed in.
	other := newCLI(t)
	other.env["DAMASK_PASSWORD"] = "long enough"
	other.must("", "account", "create", "zeta", "--holder", "zed", "--email", "zed@example.com")
	r := other.runRaw("", "migrate-library", "--from", other.data, "--to-db", db, "--to-blobs", folder)
	if r.err == nil || !strings.Contains(r.err.Error(), "already holds another library") {
		t.Errorf("another library into a full database: %v", r.err)
	}
	if r := c.runRaw("", "migrate-library", "--from", c.data); r.code() != 2 {
		t.Errorf("without --to-db: exit %d, %v", r.code(), r.err)
	}
}
