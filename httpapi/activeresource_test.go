package httpapi_test

// fluxiom's own client (the Rails engine typus_fluxiom) is a set of
// ActiveResource models, and ActiveResource 6 writes its XML bodies in its
// own way: element names dashed (<upload-id>), types as attributes
// (type="integer", type="dateTime"), nulls as nil="true", and on save the
// whole document it read, nested records and arrays included. The creates
// below are written out as it writes them; a save is made by arRead and
// arWrite, which read a document as its Hash.from_xml reads it and write
// it back as its to_xml writes it, so that a save here sends what the
// library would after Model.find.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"damask/oidctest"
)

// arValue is an attribute of a resource as ActiveResource holds it after
// Hash.from_xml: nil, a scalar (with the type to_xml writes for it), a
// nested resource (a record, its fields in order) or an array.
type arValue struct {
	kind  arKind
	typ   string // of a scalar: "", "integer", "boolean", "float", "dateTime"
	text  string
	keys  []string // of a record
	items []arValue
}

type arKind uint8

const (
	arNil arKind = iota
	arScalar
	arRecord
	arArray
)

// field is the value of a record's field, nil when it has none.
func (v *arValue) field(name string) *arValue {
	for i, k := range v.keys {
		if k == name {
			return &v.items[i]
		}
	}
	return nil
}

// set gives a record's field a string value, added at the end when new,
// as assigning an attribute does.
func (v *arValue) set(name, text string) {
	if f := v.field(name); f != nil {
		*f = arValue{kind: arScalar, text: text}
		return
	}
	v.keys = append(v.keys, name)
	v.items = append(v.items, arValue{kind: arScalar, text: text})
}

// arRead reads an element as ActiveSupport's XML converter does: a typed
// array becomes an array; text becomes a value typed by its type
// attribute (the other attributes dropped: <plan ssl="true">pro</plan> is
// "pro"); an element without text is nil unless it has attributes other
// than type, which then become a record (<stats used_space="1"/>); an
// element with elements is a record of them. Names come undashed.
func arRead(t *testing.T, n xnode) arValue {
	t.Helper()
	typ, _ := n.attr("type")
	if typ == "array" {
		v := arValue{kind: arArray}
		for _, k := range n.Kids {
			v.items = append(v.items, arRead(t, k))
		}
		return v
	}
	if len(n.Kids) == 0 && n.Text != "" && (len(n.Attrs) == 0 || strings.TrimSpace(n.Text) != "") {
		return arScalarOf(t, typ, n.Text)
	}
	if isNil, _ := n.attr("nil"); isNil == "true" {
		return arValue{kind: arNil}
	}
	if len(n.Kids) == 0 && (len(n.Attrs) == 0 || len(n.Attrs) == 1 && typ != "") {
		return arValue{kind: arNil}
	}
	v := arValue{kind: arRecord}
	for _, a := range n.Attrs {
		v.keys = append(v.keys, strings.ReplaceAll(a.Name.Local, "-", "_"))
		v.items = append(v.items, arValue{kind: arScalar, text: a.Value})
	}
	for _, k := range n.Kids {
		name := strings.ReplaceAll(k.XMLName.Local, "-", "_")
		if v.field(name) != nil {
			t.Fatalf("<%s> twice in <%s>: not a document ActiveResource reads as a record", name, n.XMLName.Local)
		}
		v.keys = append(v.keys, name)
		v.items = append(v.items, arRead(t, k))
	}
	return v
}

// arScalarOf is text read by its type, as the Ruby value it becomes
// would be written again.
func arScalarOf(t *testing.T, typ, text string) arValue {
	t.Helper()
	switch typ {
	case "integer":
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
		if err != nil {
			t.Fatalf("integer %q: %v", text, err)
		}
		return arValue{kind: arScalar, typ: "integer", text: strconv.FormatInt(n, 10)}
	case "boolean":
		b := strings.TrimSpace(text)
		return arValue{kind: arScalar, typ: "boolean", text: strconv.FormatBool(b == "true" || b == "1")}
	case "float":
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil {
			t.Fatalf("float %q: %v", text, err)
		}
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0" // Ruby's Float#to_s
		}
		return arValue{kind: arScalar, typ: "float", text: s}
	case "datetime":
		at, err := time.Parse(time.RFC3339, strings.TrimSpace(text))
		if err != nil {
			t.Fatalf("datetime %q: %v", text, err)
		}
		return arValue{kind: arScalar, typ: "dateTime", text: at.UTC().Format("2006-01-02T15:04:05Z")}
	case "":
		return arValue{kind: arScalar, text: text}
	}
	t.Fatalf("type %q is not one Damask writes", typ)
	return arValue{}
}

// arWrite writes a value as ActiveResource's to_xml does (through
// Builder, indented by two): names dashed, nil as nil="true", scalars
// with their type, records as elements, arrays typed with their items
// named by the singular.
func arWrite(b *bytes.Buffer, depth int, name string, v arValue) {
	ind := strings.Repeat("  ", depth)
	tag := strings.ReplaceAll(name, "_", "-")
	switch v.kind {
	case arNil:
		fmt.Fprintf(b, "%s<%s nil=\"true\"/>\n", ind, tag)
	case arScalar:
		attr := ""
		if v.typ != "" {
			attr = ` type="` + v.typ + `"`
		}
		fmt.Fprintf(b, "%s<%s%s>%s</%s>\n", ind, tag, attr, arEscape(v.text), tag)
	case arRecord:
		fmt.Fprintf(b, "%s<%s>\n", ind, tag)
		for i, k := range v.keys {
			arWrite(b, depth+1, k, v.items[i])
		}
		fmt.Fprintf(b, "%s</%s>\n", ind, tag)
	case arArray:
		if len(v.items) == 0 {
			fmt.Fprintf(b, "%s<%s type=\"array\"/>\n", ind, tag)
			return
		}
		fmt.Fprintf(b, "%s<%s type=\"array\">\n", ind, tag)
		for _, it := range v.items {
			arWrite(b, depth+1, strings.TrimSuffix(tag, "s"), it)
		}
		fmt.Fprintf(b, "%s</%s>\n", ind, tag)
	}
}

// arEscape escapes text as Builder does.
func arEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// arDocument is what Model.find reads from an XML answer: the root's
// record.
func arDocument(t *testing.T, r *response) (string, arValue) {
	t.Helper()
	n := r.xml(t)
	v := arRead(t, n)
	if v.kind != arRecord {
		t.Fatalf("<%s> is not read as a record: %s", n.XMLName.Local, r)
	}
	return n.XMLName.Local, v
}

// arBody is the body of a save: the record written whole under its root.
func arBody(root string, v arValue) payload {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	arWrite(&b, 0, root, v)
	return xmlBody(b.String())
}

// withoutTimes is a document without the fields a save may move.
func withoutTimes(doc map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range doc {
		if k != "updated_on" {
			out[k] = v
		}
	}
	return out
}

func TestActiveResource(t *testing.T) {
	e := newEnv(t, setup{process: true, workers: true})
	tn := e.tenant(t, "acme", "deluxe")
	issuer := oidctest.StartBad(t).URL
	memberID := id(t, tn.member.get(t, "/api/user.json").want(t, 200).obj(t))
	holderID := id(t, tn.holder.get(t, "/api/user.json").want(t, 200).obj(t))

	// Creates, as Model.create(attributes) writes them: the attributes
	// in the order given, a nil one as nil="true".
	var assetID string
	creates := []struct {
		name   string
		by     *client
		method string
		path   string
		body   func(t *testing.T) payload
		check  func(t *testing.T, doc map[string]any)
	}{
		{"asset", tn.member, "POST", "/api/assets.xml", func(t *testing.T) payload {
			up := id(t, tn.member.upload(t, "sunset.txt", []byte("a red sky")))
			return xmlBody(`<?xml version="1.0" encoding="UTF-8"?>
<asset>
  <upload-id type="integer">` + up + `</upload-id>
  <title>Sunset</title>
  <description nil="true"/>
  <tags>holiday, sea</tags>
</asset>
`)
		}, func(t *testing.T, doc map[string]any) {
			assetID = id(t, doc)
			if doc["title"] != "Sunset" || doc["filename"] != "sunset.txt" || doc["description"] != "" ||
				!cmp.Equal(tagNames(t, doc), []string{"holiday", "sea"}) {
				t.Errorf("new asset %v", doc)
			}
		}},
		{"asset, JSON", tn.member, "POST", "/api/assets.json", func(t *testing.T) payload {
			up := id(t, tn.member.upload(t, "dawn.txt", []byte("a grey sky")))
			return jsonBody(`{"upload_id":` + up + `,"title":"Dawn","description":null,"tags":"sea"}`)
		}, func(t *testing.T, doc map[string]any) {
			if doc["title"] != "Dawn" || doc["filename"] != "dawn.txt" || !cmp.Equal(tagNames(t, doc), []string{"sea"}) {
				t.Errorf("new asset %v", doc)
			}
		}},
		{"version", tn.member, "POST", "/api/assets/{asset}/versions.xml", func(t *testing.T) payload {
			up := id(t, tn.member.upload(t, "sunset-2.txt", []byte("a redder sky")))
			return xmlBody(`<?xml version="1.0" encoding="UTF-8"?>
<version>
  <upload-id type="integer">` + up + `</upload-id>
  <comment>Warmer</comment>
</version>
`)
		}, func(t *testing.T, doc map[string]any) {
			if str(doc["number"]) != "2" || doc["comment"] != "Warmer" || doc["filename"] != "sunset-2.txt" {
				t.Errorf("new version %v", doc)
			}
		}},
		{"user", tn.holder, "POST", "/api/users.xml", func(t *testing.T) payload {
			return xmlBody(`<?xml version="1.0" encoding="UTF-8"?>
<user>
  <first-name>Ann</first-name>
  <last-name>Lee</last-name>
  <login>ann</login>
  <email>ann@acme.test</email>
  <password>` + pw + `</password>
</user>
`)
		}, func(t *testing.T, doc map[string]any) {
			if doc["first_name"] != "Ann" || doc["last_name"] != "Lee" || doc["login"] != "ann" || doc["role"] != "member" {
				t.Errorf("new user %v", doc)
			}
			tn.holder.as("ann", pw).get(t, "/api/user.xml").want(t, 200)
		}},
		{"user, JSON", tn.admin, "POST", "/api/users.json", func(t *testing.T) payload {
			return jsonBody(`{"first_name":"Bo","last_name":"Ng","login":"bo","email":"bo@acme.test","password":"` + pw + `"}`)
		}, func(t *testing.T, doc map[string]any) {
			if doc["first_name"] != "Bo" || doc["last_name"] != "Ng" {
				t.Errorf("new user %v", doc)
			}
		}},
		{"tag", tn.admin, "POST", "/api/tags.xml", func(t *testing.T) payload {
			return xmlBody(`<?xml version="1.0" encoding="UTF-8"?>
<tag>
  <tag>Unused</tag>
</tag>
`)
		}, func(t *testing.T, doc map[string]any) {
			if doc["tag"] != "Unused" || str(doc["documents_count"]) != "0" || str(doc["assets_count"]) != "0" {
				t.Errorf("new tag %v", doc)
			}
		}},
		{"token", tn.member, "POST", "/api/tokens.xml", func(t *testing.T) payload {
			return xmlBody(`<?xml version="1.0" encoding="UTF-8"?>
<token>
  <name>Chooser</name>
  <read-only type="boolean">true</read-only>
  <expires-in-days type="integer">30</expires-in-days>
</token>
`)
		}, func(t *testing.T, doc map[string]any) {
			if doc["name"] != "Chooser" || doc["read_only"] != true || doc["expires_on"] == nil {
				t.Errorf("new token %v", doc)
			}
		}},
		{"OpenID settings", tn.holder, "PUT", "/api/account/oidc.xml", func(t *testing.T) payload {
			return xmlBody(`<?xml version="1.0" encoding="UTF-8"?>
<oidc>
  <issuer>` + issuer + `</issuer>
  <client-id>damask</client-id>
  <client-secret>s3cret-value</client-secret>
  <domains type="array">
    <domain>acme.test</domain>
  </domains>
  <auto-create>member</auto-create>
</oidc>
`)
		}, func(t *testing.T, doc map[string]any) {
			if doc["client_id"] != "damask" || doc["auto_create"] != "member" || !cmp.Equal(doc["domains"], []any{"acme.test"}) {
				t.Errorf("OpenID settings %v", doc)
			}
		}},
	}
	for _, c := range creates {
		t.Run("create "+c.name, func(t *testing.T) {
			path := strings.ReplaceAll(c.path, "{asset}", assetID)
			r := c.by.send(t, c.method, path, c.body(t))
			want := map[string]int{"POST": http.StatusCreated, "PUT": http.StatusOK}[c.method]
			c.check(t, r.want(t, want).obj(t))
		})
	}

	// A processed photo: its document has every kind of field (floats,
	// times, the keywords' array, rendition URLs).
	photos := e.tenant(t, "photos", "deluxe")
	photo, err := os.ReadFile("../metadata/testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	photoID := id(t, photos.member.createAsset(t, "photo.jpg", photo))
	if doc := waitProcessed(t, photos.member, photoID); doc["processing"] != "done" || doc["latitude"] == nil || doc["keywords"] == nil {
		t.Fatalf("the photo is not processed with its metadata: %v", doc)
	}

	// Saves: Model.find, an attribute changed or none, save. A
	// document sent back whole is an update of what it may write; its
	// read-only fields are ignored, and a field nobody knows is refused.
	saves := []struct {
		name  string
		by    *client
		path  string
		field string // a field the save changes, to a new value
		value string
	}{
		{"asset", tn.member, "/api/assets/{asset}", "title", "Sunset over the sea"},
		{"processed photo", photos.member, "/api/assets/" + photoID, "description", "Lake Geneva"},
		{"account", tn.holder, "/api/account", "company_name", "Acme Saved"},
		{"user, by an admin", tn.admin, "/api/users/" + memberID, "last_name", "Saved"},
		{"user, themselves", tn.holder, "/api/users/" + holderID, "first_name", "Hold"},
		{"tag", tn.admin, "/api/tags/{tag}", "tag", "Sea and sky"},
		{"OpenID settings", tn.holder, "/api/account/oidc", "client_id", "damask-saved"},
	}
	for _, s := range saves {
		t.Run("save "+s.name, func(t *testing.T) {
			path := strings.ReplaceAll(s.path, "{asset}", assetID)
			if strings.Contains(path, "{tag}") {
				for _, tag := range tn.guest.get(t, "/api/tags.json").want(t, 200).list(t, "tags", "tag") {
					if tag := tag.(map[string]any); tag["tag"] == "sea" {
						path = strings.ReplaceAll(path, "{tag}", id(t, tag))
					}
				}
			}
			before := s.by.get(t, path+".json").want(t, 200).obj(t)

			// Sent back as read.
			root, doc := arDocument(t, s.by.get(t, path+".xml").want(t, 200))
			after := s.by.send(t, "PUT", path+".xml", arBody(root, doc)).want(t, 200)
			if diff := cmp.Diff(withoutTimes(before), withoutTimes(after.obj(t))); diff != "" {
				t.Errorf("a document sent back as read changed it (-before +after):\n%s", diff)
			}

			// One attribute changed.
			doc.set(s.field, s.value)
			got := s.by.send(t, "PUT", path+".xml", arBody(root, doc)).want(t, 200).obj(t)
			if got[s.field] != s.value {
				t.Errorf("%s after the save: %v, want %q", s.field, got[s.field], s.value)
			}

			// A field the resource does not have, dashed or not.
			for _, unknown := range []string{"colour", "favourite_colour"} {
				bad := doc
				bad.keys = append(append([]string(nil), doc.keys...), unknown)
				bad.items = append(append([]arValue(nil), doc.items...), arValue{kind: arScalar, text: "red"})
				s.by.send(t, "PUT", path+".xml", arBody(root, bad)).wantError(t, 422, `Unknown field "`+unknown+`"`)
			}

			// The same with JSON, which ActiveResource sends back as read.
			sent := s.by.get(t, path+".json").want(t, 200).body
			again := s.by.send(t, "PUT", path+".json", jsonBody(string(sent))).want(t, 200).obj(t)
			var was map[string]any
			d := json.NewDecoder(bytes.NewReader(sent))
			d.UseNumber()
			if err := d.Decode(&was); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(withoutTimes(was), withoutTimes(again)); diff != "" {
				t.Errorf("a JSON document sent back as read changed it (-before +after):\n%s", diff)
			}
			var m map[string]any
			if err := json.Unmarshal(sent, &m); err != nil {
				t.Fatal(err)
			}
			m["colour"] = "red"
			b, _ := json.Marshal(m)
			s.by.send(t, "PUT", path+".json", jsonBody(string(b))).wantError(t, 422, `Unknown field "colour"`)
		})
	}

	// The plan stays the operator's: the account sent back with
	// another plan, or with more free space, is refused.
	t.Run("save account with a better plan", func(t *testing.T) {
		b := e.tenant(t, "small", "basic")
		root, doc := arDocument(t, b.holder.get(t, "/api/account.xml").want(t, 200))
		before := e.state(t, b.holder)
		raised := doc
		raised.items = append([]arValue(nil), doc.items...)
		raised.set("plan", "deluxe")
		b.holder.send(t, "PUT", "/api/account.xml", arBody(root, raised)).wantError(t, 403, "operator")
		stats := *doc.field("stats")
		stats.items = append([]arValue(nil), stats.items...)
		stats.set("available_space", "1125899906842624")
		spacious := doc
		spacious.items = append([]arValue(nil), doc.items...)
		*spacious.field("stats") = stats
		b.holder.send(t, "PUT", "/api/account.xml", arBody(root, spacious)).wantError(t, 403, "operator")
		e.unchanged(t, b.holder, before)
		b.holder.send(t, "PUT", "/api/account.xml", arBody(root, doc)).want(t, 200)
	})

	// The chooser lists the tags that have documents: it fetches
	// tags.json and drops those whose documents_count is 0.
	t.Run("chooser's tags", func(t *testing.T) {
		var tags []map[string]any
		if err := json.Unmarshal(tn.guest.get(t, "/api/tags.json").want(t, 200).body, &tags); err != nil {
			t.Fatal(err)
		}
		var shown []string
		for _, tag := range tags {
			if tag["documents_count"] != any(float64(0)) {
				shown = append(shown, str(tag["tag"]))
			}
			if tag["documents_count"] != tag["assets_count"] {
				t.Errorf("tag %v: documents_count is not assets_count", tag)
			}
		}
		slices.Sort(shown)
		if want := []string{"Sea and sky", "holiday"}; !cmp.Equal(shown, want) {
			t.Errorf("the chooser shows tags %q, want %q (all: %v)", shown, want, tags)
		}
		for _, tag := range tn.guest.get(t, "/api/tags.xml").want(t, 200).list(t, "tags", "tag") {
			m := tag.(map[string]any)
			if _, ok := m["documents_count"]; !ok || str(m["documents_count"]) != str(m["assets_count"]) {
				t.Errorf("XML tag %v: documents_count is not assets_count", m)
			}
		}
	})
}
