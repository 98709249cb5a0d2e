package hardening

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"damask/servertest"
)

// inboxFile is one file of a submission to an Inbox.
type inboxFile struct {
	name, claimed string
	data          []byte
}

// sendInbox posts an Inbox's form as a browser without JavaScript does:
// the sender's name and address, then the files.
func (b *browser) sendInbox(path string, files ...inboxFile) page {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("name", "Rosa Client")
	mw.WriteField("email", "rosa@client.example")
	for _, f := range files {
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name="file"; filename=%q`, f.name)}
		h["Content-Type"] = []string{cmpOr(f.claimed, "application/octet-stream")}
		w, err := mw.CreatePart(h)
		if err != nil {
			b.t.Fatal(err)
		}
		w.Write(f.data)
	}
	mw.Close()
	req, err := http.NewRequest("POST", b.l.URL(path), &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.send(req)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// newInbox makes an Inbox through the API and answers its id and the
// path of its address.
func (l *library) newInbox(t *testing.T, kv ...string) (id, path string) {
	t.Helper()
	raw := l.admin.Form(http.StatusCreated, "POST", "/api/inboxes.json", "", nil, kv...)
	u, _ := doc(t, raw)["url"].(string)
	i := strings.Index(u, "/inbox/")
	if i < 0 {
		t.Fatalf("no Inbox address: %s", raw)
	}
	return idOf(t, raw), u[i:]
}

// r27Inboxes is item 27 for Inboxes, the public upload forms: without
// its password, after its expiry or its revocation an Inbox takes no file
// (401, 410); a submission over its limits or the plan's quota keeps
// nothing of any of its files; and what it takes is any upload: an HTML
// page named photo.jpg and a hostile SVG are typed by their bytes, sent
// only as attachments, rendered only as JPEG.
func r27Inboxes(t *testing.T) {
	plans := filepath.Join(t.TempDir(), "plans.json")
	if err := os.WriteFile(plans, []byte(`{"inboxes": {"stages": true, "multiple_users": true, "storage_limit": 1048576}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	l := start(t, "--plans", plans)
	if out, err := servertest.Command(t, servertest.Build(t), nil, "account", "plan", "default", "inboxes", "--plans", plans, "--data", l.data); err != nil {
		t.Fatalf("account plan: %v\n%s", err, out)
	}
	anon := l.browser(t, "")
	small := inboxFile{"small.txt", "text/plain", []byte("a small file\n")}
	unchanged := func(t *testing.T, before counts) {
		t.Helper()
		l.waitNoTmp(t)
		if after := l.counts(t); after != before {
			t.Errorf("something was kept: before %+v, after %+v", before, after)
		}
	}

	t.Run("without the password", func(t *testing.T) {
		_, path := l.newInbox(t, "title", "Locked", "password", "open sesame")
		p := anon.get(path)
		if p.status != http.StatusOK || !strings.Contains(p.body, `id="inbox-password"`) || strings.Contains(p.body, `id="inbox-form"`) {
			t.Errorf("GET %s: %d, want the password's form only", path, p.status)
		}
		before := l.counts(t)
		if p := anon.sendInbox(path, small); p.status != http.StatusUnauthorized {
			t.Errorf("send without the password: %d, want 401", p.status)
		}
		if p := anon.post(path+"/password", url.Values{"password": {"wrong guess"}}); p.status != http.StatusUnauthorized {
			t.Errorf("wrong password: %d, want 401", p.status)
		}
		// A pass of another Inbox, or made up, opens nothing.
		req, _ := http.NewRequest("POST", l.URL(path), strings.NewReader(""))
		req.AddCookie(&http.Cookie{Name: "damask_inbox", Value: "AAAA." + fmt.Sprint(time.Now().Add(time.Hour).Unix())})
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		if p := anon.send(req); p.status != http.StatusUnauthorized {
			t.Errorf("send with a forged pass: %d, want 401", p.status)
		}
		unchanged(t, before)
	})

	t.Run("after revocation", func(t *testing.T) {
		id, path := l.newInbox(t, "title", "Revoked")
		l.admin.Must(http.StatusOK, "DELETE", "/api/inboxes/"+id+".json", "", nil)
		before := l.counts(t)
		for _, p := range []page{anon.get(path), anon.sendInbox(path, small), anon.post(path+"/password", url.Values{"password": {"x"}})} {
			if p.status != http.StatusGone || strings.Contains(p.body, `id="inbox-form"`) {
				t.Errorf("revoked Inbox: %d, want 410 without the form", p.status)
			}
		}
		unchanged(t, before)
	})

	t.Run("after expiry", func(t *testing.T) {
		_, path := l.newInbox(t, "title", "Expiring", "expires_on", time.Now().UTC().Add(2*time.Second).Format(time.RFC3339))
		deadline := time.Now().Add(30 * time.Second)
		for anon.get(path).status != http.StatusGone {
			if time.Now().After(deadline) {
				t.Fatal("the Inbox is still open 30 s after its expiry")
			}
			time.Sleep(200 * time.Millisecond)
		}
		before := l.counts(t)
		if p := anon.sendInbox(path, small); p.status != http.StatusGone {
			t.Errorf("send after expiry: %d, want 410", p.status)
		}
		unchanged(t, before)
	})

	t.Run("over the limits, nothing partial", func(t *testing.T) {
		_, limited := l.newInbox(t, "title", "Limited", "max_files", "2", "max_file_size", "1000")
		_, open := l.newInbox(t, "title", "Open")
		for _, tc := range []struct {
			what   string
			path   string
			files  []inboxFile
			status int
		}{
			{"max_files", limited, []inboxFile{small, {"b.txt", "", []byte("b")}, {"c.txt", "", []byte("c")}}, http.StatusUnprocessableEntity},
			{"max_file_size", limited, []inboxFile{small, {"big.bin", "", randomData(1001)}}, http.StatusRequestEntityTooLarge},
			{"quota", open, []inboxFile{{"one.bin", "", randomData(600 << 10)}, {"two.bin", "", randomData(600 << 10)}}, http.StatusInsufficientStorage},
		} {
			t.Run(tc.what, func(t *testing.T) {
				before := l.counts(t)
				if p := anon.sendInbox(tc.path, tc.files...); p.status != tc.status {
					t.Errorf("status %d, want %d: %.300s", p.status, tc.status, p.body)
				}
				unchanged(t, before)
			})
		}
	})

	t.Run("hostile files", func(t *testing.T) {
		ca := newLoopCanary(t)
		_, path := l.newInbox(t, "title", "Hostile", "tags", "Inbox, hostile")
		page := []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")
		svg := []byte(hostileSVG(ca))
		p := anon.sendInbox(path, inboxFile{"photo.jpg", "image/jpeg", page}, inboxFile{"hostile.svg", "image/svg+xml", svg})
		if p.status != http.StatusOK {
			t.Fatalf("send: %d %.300s", p.status, p.body)
		}
		if strings.Contains(p.body, "<script>alert") {
			t.Error("the receipt shows the file's markup")
		}
		list := l.admin.Must(http.StatusOK, "GET", "/api/assets.json?tags=hostile", "", nil)
		var as []map[string]any
		if err := json.Unmarshal(list, &as); err != nil || len(as) != 2 {
			t.Fatalf("assets tagged hostile: %v %s", err, list)
		}
		for _, a := range as {
			id := fmt.Sprint(a["id"])
			ct, _ := a["content_type"].(string)
			switch a["filename"] {
			case "photo.jpg":
				if strings.HasPrefix(ct, "image/") {
					t.Errorf("HTML sent as JPEG typed %q", ct)
				}
			case "hostile.svg":
				if ct != "image/svg+xml" {
					t.Errorf("SVG typed %q", ct)
				}
				st := waitProcessed(t, l.admin, id)
				for _, u := range []string{st.ThumbURL, st.PreviewURL} {
					status, h, b := l.admin.Request("GET", strings.TrimPrefix(u, "http://"+l.Addr), "", nil)
					if status != http.StatusOK || h.Get("Content-Type") != "image/jpeg" || !bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}) {
						t.Errorf("%s: %d %s, want a JPEG", u, status, h.Get("Content-Type"))
					}
				}
			}
			if d, _ := a["description"].(string); !strings.Contains(d, "Rosa Client <rosa@client.example>") {
				t.Errorf("%v: description %q lacks the sender", a["filename"], d)
			}
			status, h, _ := l.admin.Request("GET", "/api/assets/download/"+id, "", nil)
			if status != http.StatusOK {
				t.Fatalf("download %s: %d", id, status)
			}
			inlineOK(t, fmt.Sprint("download of ", a["filename"]), h)
		}
		ca.assertSilent(t)
	})
	l.CheckLog()
}
