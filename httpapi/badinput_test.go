package httpapi_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestBadBodies sends every writing route every kind of bad body: each
// answers 400 (malformed) or 422 (invalid) with an error document, never
// a 500, and nothing stored changes.
func TestBadBodies(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	f := populate(t, tn)
	member := id(t, tn.member.get(t, "/api/user.json").obj(t))
	routes := []struct {
		method, path string
		res, field   string // the resource's name and a text field of it
	}{
		{"PUT", "/api/account", "account", "company_name"},
		{"POST", "/api/users", "user", "first_name"},
		{"PUT", "/api/users/" + member, "user", "first_name"},
		{"POST", "/api/tags", "tag", "tag"},
		{"PUT", "/api/tags/" + f.tag, "tag", "tag"},
		{"POST", "/api/assets", "asset", "title"},
		{"PUT", "/api/assets/" + f.asset, "asset", "title"},
		{"POST", "/api/assets/" + f.asset + "/versions", "version", "comment"},
	}
	const either = 0 // 400 or 422
	long := strings.Repeat("x", 1001)
	cases := []struct {
		name   string
		body   func(res, field string) payload
		status int
	}{
		{"malformed XML", func(r, f string) payload { return xmlBody("<" + r + "><" + f + ">x</" + r + ">") }, 400},
		{"unclosed XML", func(r, f string) payload { return xmlBody("<" + r + "><" + f + ">x") }, 400},
		{"not XML", func(r, f string) payload { return xmlBody("title=x") }, 400},
		{"empty XML", func(r, f string) payload { return xmlBody("") }, 400},
		{"XML entity", func(r, f string) payload {
			return xmlBody(`<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><` + r + `><` + f + `>&a;&a;</` + f + `></` + r + `>`)
		}, 400},
		{"XML external entity", func(r, f string) payload {
			return xmlBody(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><` + r + `><` + f + `>&e;</` + f + `></` + r + `>`)
		}, 400},
		{"XML elements in a field", func(r, f string) payload {
			return xmlBody("<" + r + "><" + f + "><b>x</b></" + f + "></" + r + ">")
		}, 422},
		{"malformed JSON", func(r, f string) payload { return jsonBody(`{"` + f + `":`) }, 400},
		{"JSON array", func(r, f string) payload { return jsonBody(`["` + f + `"]`) }, 400},
		{"JSON string", func(r, f string) payload { return jsonBody(`"x"`) }, 400},
		{"two JSON values", func(r, f string) payload { return jsonBody(`{"` + f + `":"a"}{"` + f + `":"b"}`) }, 400},
		{"deep JSON", func(r, f string) payload { return jsonBody(strings.Repeat("[", 20000) + strings.Repeat("]", 20000)) }, 400},
		{"JSON object in a field", func(r, f string) payload { return jsonBody(`{"` + f + `":{"a":1}}`) }, 422},
		{"JSON array in a field", func(r, f string) payload { return jsonBody(`{"` + f + `":[1,2]}`) }, 422},
		{"unknown form field", func(r, f string) payload { return form(f, "x", "bogus", "1") }, 422},
		{"unknown nested form field", func(r, f string) payload { return form(r+"[bogus]", "1") }, 422},
		{"field of another resource", func(r, f string) payload { return form("other["+f+"]", "x") }, 422},
		{"unknown XML field", func(r, f string) payload { return xmlBody("<" + r + "><bogus>1</bogus></" + r + ">") }, 422},
		{"unknown JSON field", func(r, f string) payload { return jsonBody(`{"bogus":1}`) }, 422},
		{"unknown nested JSON field", func(r, f string) payload { return jsonBody(`{"` + r + `":{"bogus":1}}`) }, 422},
		{"unknown multipart field", func(r, f string) payload { return multipartBody(file{}, "bogus", "1") }, 422},
		{"password hash", func(r, f string) payload { return form("password_hash", "$argon2id$x") }, 422},
		{"field over its limit, form", func(r, f string) payload { return form(f, long) }, 422},
		{"field over its limit, XML", func(r, f string) payload {
			return xmlBody("<" + r + "><" + f + ">" + long + "</" + f + "></" + r + ">")
		}, 422},
		{"field over its limit, JSON", func(r, f string) payload { return jsonBody(`{"` + r + `":{"` + f + `":"` + long + `"}}`) }, 422},
		{"field over its limit, multipart", func(r, f string) payload { return multipartBody(file{}, f, long) }, 422},
		{"field of 100 KB", func(r, f string) payload { return form(f, strings.Repeat("y", 100<<10)) }, 422},
		{"body over 1 MB", func(r, f string) payload { return jsonBody(`{"` + f + `":"` + strings.Repeat("z", 1<<20) + `"}`) }, 413},
		{"non-UTF-8, form", func(r, f string) payload { return form(f, "caf\xe9") }, either},
		{"non-UTF-8 name, form", func(r, f string) payload { return form("\xff\xfe", "x") }, either},
		{"non-UTF-8, XML", func(r, f string) payload { return xmlBody("<" + r + "><" + f + ">caf\xe9</" + f + "></" + r + ">") }, either},
		{"non-UTF-8, JSON", func(r, f string) payload { return jsonBody(`{"` + f + `":"caf` + "\xe9" + `"}`) }, either},
		{"non-UTF-8, multipart", func(r, f string) payload { return multipartBody(file{}, f, "caf\xe9") }, either},
		{"UTF-16 JSON", func(r, f string) payload { return jsonBody("\xff\xfe{\x00}\x00") }, either},
		{"NUL in a field", func(r, f string) payload { return form(f, "a\x00b") }, 422},
		{"control character in a field", func(r, f string) payload { return form(f, "a\x1bb") }, 422},
		{"bad boolean", func(r, f string) payload {
			return form(map[string]string{"account": "api_enabled", "user": "disabled", "asset": "public_link", "version": "bogus", "tag": "bogus"}[r], "maybe")
		}, 422},
		{"bad upload id", func(r, f string) payload { return form("upload_id", "abc") }, 422},
		{"negative upload id", func(r, f string) payload { return form("upload_id", "-5") }, 422},
		{"huge upload id", func(r, f string) payload { return form("upload_id", "99999999999999999999999") }, 422},
		{"unknown Content-Type", func(r, f string) payload { return payload{"text/plain", []byte(f + "=x")} }, 400},
		{"garbled Content-Type", func(r, f string) payload { return payload{"multipart/form-data; boundary", []byte("x")} }, 400},
		{"multipart without boundary", func(r, f string) payload { return payload{"multipart/form-data", []byte("--x\r\n")} }, 400},
		{"broken multipart", func(r, f string) payload {
			return payload{"multipart/form-data; boundary=XYZ", []byte("--XYZ\r\nContent-Disposition: form-data; name=\"" + f + "\"\r\n\r\nvalue")}
		}, 400},
		{"body without Content-Type", func(r, f string) payload { return payload{"", []byte(f + "=x")} }, 400},
		{"malformed form", func(r, f string) payload {
			return payload{"application/x-www-form-urlencoded", []byte(f + "=%zz")}
		}, 400},
	}
	for _, rt := range routes {
		for _, c := range cases {
			for _, ext := range formats {
				t.Run(fmt.Sprintf("%s %s/%s%s", rt.method, rt.path, c.name, ext), func(t *testing.T) {
					before := e.state(t, tn.holder)
					r := tn.holder.send(t, rt.method, rt.path+ext, c.body(rt.res, rt.field))
					switch {
					case c.status == either && (r.status == 400 || r.status == 422):
						r.errors(t)
					case c.status == either:
						t.Errorf("status %d, want 400 or 422: %s", r.status, r)
					case rt.res == "version" && c.status == 422 && r.status == 422:
						// A version without a file is invalid anyway.
						r.errors(t)
					default:
						r.want(t, c.status).errors(t)
					}
					e.unchanged(t, tn.holder, before)
				})
			}
		}
	}
}

// TestBadParameters: page, per_page, sort, query, tags and ids that make
// no sense are 400 (or, for ids, 404 like any missing one).
func TestBadParameters(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	f := populate(t, tn)
	lists := []string{"/api/assets", "/api/tags", "/api/users"}
	bad := []string{
		"page=0", "page=-1", "page=abc", "page=1.5", "page=", "page=99999999999999999999", "page=2147483648",
		"page=1e3", "per_page=0", "per_page=-5", "per_page=abc", "per_page=99999999999999999999", "per_page=0x10",
	}
	for _, l := range lists {
		for _, q := range bad {
			for _, ext := range formats {
				t.Run(l+ext+"?"+q, func(t *testing.T) {
					r := tn.guest.get(t, l+ext+"?"+q)
					if q == "page=" { // an empty parameter is no parameter
						r.want(t, 200)
						return
					}
					r.wantError(t, 400, strings.Split(q, "=")[0])
				})
			}
		}
	}
	for _, q := range []string{"sort=bogus", "sort=--title", "sort=title%3Bdrop", "tags=%FF", "tags=" + strings.Repeat("t", 1001),
		"cursor=bogus", "cursor=eyJpIjowfQ"} {
		for _, ext := range formats {
			t.Run("assets"+ext+"?"+truncate(q, 30), func(t *testing.T) {
				tn.guest.get(t, "/api/assets"+ext+"?"+q).wantError(t, 400, "")
			})
		}
	}
	// A query that cannot be parsed is 422, saying where.
	for _, q := range []string{"query=%FF", "query=%00", "query=logo%00x", "query=" + strings.Repeat("w", 1001),
		"query=" + strings.Repeat("w+", 65), "query=%22open", "query=(a", "query=a)", "query=foo:bar", "query=size>lots"} {
		for _, ext := range formats {
			t.Run("assets"+ext+"?"+truncate(q, 30), func(t *testing.T) {
				tn.guest.get(t, "/api/assets"+ext+"?"+q).wantError(t, 422, "at character")
			})
		}
	}
	t.Run("per_page is cut to 100", func(t *testing.T) {
		r := tn.guest.get(t, "/api/users.json?per_page=1000&page=2").want(t, 404)
		if !strings.Contains(r.header.Get("Link"), "per_page=100>") {
			t.Errorf("Link %q", r.header.Get("Link"))
		}
	})
	t.Run("odd query words", func(t *testing.T) {
		// SQL and FTS5 syntax are plain words here, and punctuation alone
		// is no word at all.
		for _, c := range []struct {
			q      string
			status int
		}{
			{"%25", 200}, {"_", 200}, {"%27", 200}, {"%5C", 200},
			{"l_go", 404}, {"lo%25", 404}, {"NEAR", 404}, {"a%20OR%201=1", 404}, {"x%20AND%20y", 404},
			{"logo%27--", 200}, {"LOGO", 200}, {"%22OR%20logo%22", 404}, {"title:logo%20NOT%20x", 200},
		} {
			tn.guest.get(t, "/api/assets.json?query="+c.q).want(t, c.status)
		}
	})
	for _, p := range []string{"abc", "-1", "0", "99999999999999999999", "1e3", "0x1", "%20" + f.asset, f.asset + "%00"} {
		for _, base := range []string{"/api/assets/", "/api/tags/", "/api/users/", "/api/uploads/", "/api/assets/download/"} {
			t.Run(base+p, func(t *testing.T) {
				ext := ".xml"
				if strings.Contains(base, "download") {
					ext = ""
				}
				tn.member.get(t, base+p+ext).wantError(t, 404, "")
			})
		}
		tn.member.get(t, "/api/assets/"+f.asset+"/versions/"+p+".json").wantError(t, 404, "")
		tn.member.get(t, "/api/assets/"+p+"/versions.json").wantError(t, 404, "")
	}
}

// TestEveryAnswerIsADocument: whatever goes wrong, the answer is an error
// document in the format asked for.
func TestEveryAnswerIsADocument(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	for _, rt := range allRoutes("999999") {
		for _, ext := range formats {
			for _, c := range []*client{tn.anon, tn.guest, tn.holder} {
				r := c.do(t, rt.method, pathOf(rt, ext), bytes.NewReader([]byte("{")), "Content-Type", "application/json")
				if r.status < 400 || r.status == 404 && (rt.path == "/api/tags" || rt.path == "/api/assets" || rt.path == "/api/users" || rt.path == "/api/tokens" || rt.path == "/api/collections") {
					continue // an empty list is 404 with an empty array
				}
				if ext == ".json" || !strings.Contains(rt.path, "download") {
					r.errors(t)
				}
			}
		}
	}
}

// TestBadUploads: the upload route reads a raw body as the file, so only
// a broken multipart body or a multipart one with other fields is wrong.
func TestBadUploads(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	cases := []struct {
		name   string
		body   payload
		status int
	}{
		{"multipart without boundary", payload{"multipart/form-data", []byte("--x\r\n")}, 400},
		{"broken multipart", payload{"multipart/form-data; boundary=XYZ",
			[]byte("--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nhalf a file")}, 400},
		{"multipart without parts", payload{"multipart/form-data; boundary=XYZ", []byte("--XYZ--\r\n")}, 422},
		{"unknown multipart field", multipartBody(file{"file", "a.txt", []byte("a")}, "bogus", "1"), 422},
		{"file under another name", multipartBody(file{"upload[data]", "a.txt", []byte("a")}), 422},
		{"two files", func() payload {
			b := multipartBody(file{"file", "a.txt", []byte("a")})
			b.data = append(bytes.TrimSuffix(b.data, []byte("--\r\n")), []byte("\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b\"\r\n\r\nb\r\n--"+
				strings.TrimPrefix(b.ct, "multipart/form-data; boundary=")+"--\r\n")...)
			return b
		}(), 422},
		{"garbled Content-Type", payload{"multipart/form-data; boundary", []byte("x")}, 0},
	}
	for _, c := range cases {
		for _, ext := range formats {
			t.Run(c.name+ext, func(t *testing.T) {
				before := e.state(t, tn.holder)
				r := tn.member.send(t, "POST", "/api/upload"+ext, c.body)
				if c.status == 0 { // taken as a raw file, or refused: either way no 5xx
					if r.status != 201 {
						r.errors(t)
					}
					return
				}
				r.want(t, c.status).errors(t)
				if c.name != "two files" { // the first file may wait for the collector
					e.unchanged(t, tn.holder, before)
				}
			})
		}
	}
}
