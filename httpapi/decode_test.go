package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"damask"
)

// dashed is an XML document with its element names dashed, as Rails'
// to_xml and ActiveResource write them (<upload-id>). Text holds no "<"
// (it is escaped), so every "<" opens a tag.
func dashed(doc []byte) []byte {
	return dashedName.ReplaceAllFunc(doc, func(m []byte) []byte { return bytes.ReplaceAll(m, []byte("_"), []byte("-")) })
}

var dashedName = regexp.MustCompile(`</?[A-Za-z_][A-Za-z0-9_]*`)

// sentBack reads a document the server wrote as a request body.
func sentBack(t *testing.T, res resource, contentType string, doc []byte) body {
	t.Helper()
	r := &http.Request{Method: "PUT", URL: &url.URL{Path: "/api/" + res.name}, Header: http.Header{"Content-Type": {contentType}},
		Body: io.NopCloser(bytes.NewReader(doc)), ContentLength: int64(len(doc))}
	b, err := readBody(r, res, nil)
	if err != nil {
		t.Fatalf("%s: the server's own %s document is refused: %v\n%s", res.name, contentType, err, doc)
	}
	return b
}

// TestDocumentsSentBack: every field of every document the API writes
// is one its resource may write or one it ignores as read-only, so that
// a document sent back whole (ActiveResource's save) is read, in XML with
// names as written or dashed, and in JSON, to the same fields.
func TestDocumentsSentBack(t *testing.T) {
	at := time.Date(2011, 3, 4, 5, 6, 7, 0, time.UTC)
	asset := &damask.Asset{ID: 7, Title: "Sunset", Description: "Red sky", Filename: "a.jpg", ContentType: "image/jpeg",
		Size: 3, Version: 2, UserID: 2, PublicToken: "tok", ThumbToken: "mpchkdq7m26cnc4lutwku6dgoa", Processing: damask.ProcessingDone, ProcessingError: "none",
		Tags: []damask.Tag{{ID: 3, Name: "sea"}, {ID: 4, Name: "sky"}}, CreatedAt: at, UpdatedAt: at,
		Width: 40, Height: 30, Camera: "Canon", TakenAt: at, GPS: &damask.GeoPoint{Latitude: 46.2, Longitude: 6.1},
		PixelWidth: 30, PixelHeight: 40, Duration: time.Second, PageCount: 1,
		Meta: damask.FileMeta{Type: "JPEG", ResolutionWidth: 72, ResolutionHeight: 72, BitsPerSample: 8, ColorSpace: "sRGB",
			Orientation: 6, AlphaChannel: true, Lens: "50mm", Keywords: []string{"lake", "geneva"}, Caption: "c",
			Creator: "Ada", Copyright: "(c)", Title: "t", Description: "d", VideoCodec: "h264", AudioCodec: "aac"}}
	account := &damask.Account{ID: 1, Name: "acme", CompanyName: "Acme", HolderID: 1, BillingEmail: "b@acme.test",
		Country: "CH", Plan: "pro", APIEnabled: true, PublicLinks: true, PublicThumbnails: true, KeywordsToTags: true, CreatedAt: at, UpdatedAt: at,
		Branding: damask.Branding{Title: "Acme", FontColor: "#000", TopColor: "#fff", BottomColor: "#eee", UpdatedAt: at}}
	plan := damask.Plan{Name: "pro", SSL: true, Versions: true, MultipleUsers: true, Branding: true, StorageLimit: 1 << 30, Bandwidth: 1 << 20}
	user := &damask.User{ID: 2, Login: "ann", Email: "ann@acme.test", FirstName: "Ann", LastName: "Lee",
		Role: damask.RoleAdmin, CreatedAt: at, UpdatedAt: at}
	token := tokenDoc(&damask.Token{ID: 5, Name: "chooser", Prefix: "dmk_ab", ReadOnly: true, UserID: 2,
		CreatedAt: at, ExpiresAt: at, LastUsedAt: at, RevokedAt: at})
	token.kids = append(token.kids, str("token", "dmk_secret"))
	for _, c := range []struct {
		res resource
		doc node
	}{
		{assetResource, assetDoc(asset, account, "http://acme.example.com", "http://acme.example.com")},
		{assetResource, assetDoc(&damask.Asset{ID: 8, Processing: damask.ProcessingPending, CreatedAt: at}, account, "http://acme.example.com", "http://acme.example.com")},
		{versionResource, versionDoc(&damask.Version{ID: 9, Number: 2, Filename: "a.jpg", ContentType: "image/jpeg", Size: 3,
			Comment: "warmer", UserID: 2, CreatedAt: at}, 7)},
		{tagResource, tagDoc(&damask.Tag{ID: 3, Name: "sea", AssetsCount: 2})},
		{userResource, userDoc(user)},
		{tokenResource, token},
		{accountResource, accountDoc(account, plan, damask.AccountStats{UsedSpace: 10, UsersCount: 2, AssetsCount: 1}, "http://acme.example.com")},
		{oidcResource, oidcDoc(&damask.OIDCConfig{Issuer: "https://id.acme.test", ClientID: "damask",
			Domains: []string{"acme.test", "example.com"}, AutoCreate: damask.RoleMember, UpdatedAt: at})},
	} {
		t.Run(c.res.name, func(t *testing.T) {
			for _, f := range c.doc.kids {
				if !c.res.writable[f.name] && !c.res.readOnly[f.name] {
					t.Errorf("the %s document's field %s is neither writable nor read-only: sent back, it is refused", c.res.name, f.name)
				}
			}
			var x, j bytes.Buffer
			writeXML(&x, c.doc)
			writeJSON(&j, c.doc)
			fromXML := sentBack(t, c.res, "application/xml", x.Bytes())
			if !bytes.Contains(dashed(x.Bytes()), []byte("-")) && c.res.name != "tag" {
				t.Fatalf("nothing dashed in %s", dashed(x.Bytes()))
			}
			if diff := cmp.Diff(fromXML, sentBack(t, c.res, "application/xml", dashed(x.Bytes()))); diff != "" {
				t.Errorf("dashed names read otherwise (-as written +dashed):\n%s", diff)
			}
			if diff := cmp.Diff(fromXML, sentBack(t, c.res, "application/json", j.Bytes())); diff != "" {
				t.Errorf("the JSON document reads otherwise (-XML +JSON):\n%s", diff)
			}
			for name := range fromXML {
				if !c.res.writable[name] {
					t.Errorf("read %s, which is not writable", name)
				}
			}
		})
	}
}

// TestReadXML: what ActiveResource sends, and what is still refused.
func TestReadXML(t *testing.T) {
	for _, c := range []struct {
		name string
		res  resource
		doc  string
		want body   // nil when refused
		err  string // what the refusal says
	}{
		{"create", assetResource, `<?xml version="1.0" encoding="UTF-8"?>
<asset>
  <upload-id type="integer">5</upload-id>
  <title>Sunset</title>
  <description nil="true"/>
  <public-link type="boolean">false</public-link>
</asset>`, body{"upload_id": "5", "title": "Sunset", "description": "", "public_link": "false"}, ""},
		{"typed arrays", assetResource, `<asset><tags type="array"><tag><id type="integer">1</id><tag>a</tag></tag>` +
			`<tag><id type="integer">2</id></tag><tag>c</tag></tags><keywords type="array"><keyword>k</keyword></keywords></asset>`,
			body{"tags": "a,2,c"}, ""},
		{"empty array", assetResource, `<asset><tags type="array"/></asset>`, body{"tags": ""}, ""},
		{"domains", oidcResource, `<oidc><client-id>x</client-id><domains type="array"><domain>a.test</domain><domain>b.test</domain></domains><auto-create nil="true"/></oidc>`,
			body{"client_id": "x", "domains": "a.test,b.test", "auto_create": ""}, ""},
		{"nested record", accountResource, `<account><stats><used-space>1</used-space><available-space>2</available-space></stats>` +
			`<branding-info><font-color nil="true"/><title>x</title></branding-info><plan>pro</plan></account>`,
			body{"stats.available_space": "2", "plan": "pro"}, ""},
		{"attributes", accountResource, `<account><plan full-text-search="true" versions="false">pro</plan><stats available_space="3"/></account>`,
			body{"plan": "pro", "plan.full_text_search": "true", "plan.versions": "false", "stats.available_space": "3"}, ""},
		{"plan's fields as elements", accountResource, `<account><plan><versions>true</versions></plan></account>`,
			body{"plan.versions": "true"}, ""},
		{"unknown", assetResource, `<asset><favourite-colour>red</favourite-colour></asset>`, nil, `Unknown field "favourite_colour"`},
		{"unknown record", assetResource, `<asset><colour><red>1</red></colour></asset>`, nil, `Unknown field "colour"`},
		{"unknown in a record", accountResource, `<account><plan><colour>red</colour></plan></account>`, nil, `Field "plan" takes text`},
		{"elements in text", assetResource, `<asset><title><b>bold</b></title></asset>`, nil, `Field "title" takes text`},
		{"a record in a record's field", accountResource, `<account><stats><available-space><x>1</x></available-space></stats></account>`, nil, `takes text`},
		{"read-only is not written", tagResource, `<tag><documents-count type="integer">9</documents-count><tag>a</tag></tag>`, body{"tag": "a"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &http.Request{Method: "PUT", URL: &url.URL{Path: "/"}, Header: http.Header{"Content-Type": {"application/xml"}},
				Body: io.NopCloser(strings.NewReader(c.doc)), ContentLength: int64(len(c.doc))}
			b, err := readBody(r, c.res, nil)
			if c.want == nil {
				if damask.ErrorCode(err) != damask.EINVALID || !strings.Contains(damask.ErrorMessage(err), c.err) {
					t.Errorf("answered %v, %v; want EINVALID saying %s", b, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, b); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}
