package httpapi_test

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestContentDigest: a body whose Content-Digest (sha-256) or Content-MD5
// does not match is refused with 400 and nothing is stored, whether the
// file comes raw or in a form, first or before other fields; a sum that
// matches is taken, and a header that cannot be read is a 400 too.
func TestContentDigest(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	data := randomBytes(300 << 10)
	a := tn.member.createAsset(t, "first.bin", data[:1000])
	sha := func(b []byte) string {
		s := sha256.Sum256(b)
		return "sha-256=:" + base64.StdEncoding.EncodeToString(s[:]) + ":"
	}
	md := func(b []byte) string { s := md5.Sum(b); return base64.StdEncoding.EncodeToString(s[:]) }
	damaged := append([]byte{}, data...)
	damaged[len(damaged)/2] ^= 1

	type body struct {
		name, path string
		p          payload
	}
	bodies := []body{
		{"raw upload", "/api/upload.json?filename=f.bin", payload{"application/octet-stream", data}},
		{"form upload", "/api/upload.json", multipartBody(file{"file", "f.bin", data})},
		{"one-step create, file last", "/api/assets.json", multipartBody(file{"file", "f.bin", data}, "title", "t")},
		{"new version", "/api/assets/" + id(t, a) + "/versions.json", multipartBody(file{"file", "f.bin", data}, "comment", "c")},
	}
	// A file part followed by a field: the field is still read after the
	// sum was checked at the file's end.
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n\r\n%s\r\n"+
		"--B\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nafter the file\r\n--B--\r\n", data)
	bodies = append(bodies, body{"one-step create, field after the file", "/api/assets.json", payload{"multipart/form-data; boundary=B", buf.Bytes()}})

	for _, b := range bodies {
		// The sums of the body as sent; a damaged copy of the file in
		// the same framing.
		bad := bytes.Replace(b.p.data, data, damaged, 1)
		for _, tc := range []struct {
			name    string
			headers []string
			ok      bool
			want    string
		}{
			{"sha-256 matches", []string{"Content-Digest", sha(b.p.data)}, true, ""},
			{"md5 matches", []string{"Content-MD5", md(b.p.data)}, true, ""},
			{"both match, other algorithms ignored", []string{"Content-Digest", "sha-512=:AAAA:, " + sha(b.p.data), "Content-MD5", md(b.p.data)}, true, ""},
			{"sha-256 of another body", []string{"Content-Digest", sha(bad)}, false, "does not match its Content-Digest"},
			{"md5 of another body", []string{"Content-MD5", md(bad)}, false, "does not match its Content-MD5"},
			{"md5 matches, sha-256 not", []string{"Content-Digest", sha(bad), "Content-MD5", md(b.p.data)}, false, "Content-Digest"},
			{"unreadable Content-Digest", []string{"Content-Digest", "sha-256=abc"}, false, "Content-Digest must"},
			{"short sha-256", []string{"Content-Digest", "sha-256=:AAAA:"}, false, "Content-Digest must"},
			{"unreadable Content-MD5", []string{"Content-MD5", "not base64!"}, false, "Content-MD5 must"},
		} {
			t.Run(b.name+"/"+tc.name, func(t *testing.T) {
				before := e.state(t, tn.holder)
				r := tn.member.send(t, "POST", b.path, b.p, tc.headers...)
				if tc.ok {
					r.want(t, 201)
					if !strings.Contains(string(r.body), fmt.Sprintf("%x", sha256.Sum256(data))) {
						t.Errorf("stored something else: %s", r.body)
					}
					if strings.Contains(b.name, "field after") && !strings.Contains(string(r.body), "after the file") {
						t.Errorf("the field after the file was lost: %s", r.body)
					}
					return
				}
				r.wantError(t, 400, tc.want)
				e.unchanged(t, tn.holder, before)
			})
		}
	}
}

// TestStalledBodyOverLimit: a body that passes the file limit and then
// stops short of its end gets its 413 at once, on a connection closed
// after it, not once the client has sent the rest.
func TestStalledBodyOverLimit(t *testing.T) {
	e := newEnv(t, setup{maxFile: 64 << 10})
	tn := e.tenant(t, "acme", "deluxe")
	u, _ := url.Parse(e.srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/upload.json?filename=big.bin HTTP/1.1\r\nHost: acme.example.com\r\nAuthorization: Basic %s\r\n"+
		"Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n", basic(tn.member.login, pw))
	chunk := randomBytes(16 << 10)
	for range 5 { // 80 KiB, and no last chunk
		fmt.Fprintf(conn, "%x\r\n%s\r\n", len(chunk), chunk)
	}
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a body stalled past the limit: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusRequestEntityTooLarge || !res.Close {
		t.Errorf("status %d, close %v, want 413 and the connection closed: %s", res.StatusCode, res.Close, b)
	}
}
