package httpapi

import (
	"bytes"
	"cmp"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"damask"
	"damask/httpdomain"
	"damask/httplimit"
)

// A request body comes in any form fluxiom took: form fields flat
// (title=) or nested (asset[title]=), multipart with a file, an XML
// document (<asset><title>...</title></asset>, its names dashed or not)
// or JSON, flat or under the resource's name. Every form is read into one
// flat set of fields, checked against the fields the resource takes; the
// fields its document shows but nobody writes are ignored, so that a
// document sent back whole is an update.

// resource names the fields one kind of document takes in a request body.
type resource struct {
	name     string
	writable map[string]bool // fields the request may set
	readOnly map[string]bool // fields of the document, ignored when sent back
}

func fields(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

var (
	assetResource = resource{"asset",
		fields("title", "description", "path", "tags", "upload_id", "comment", "public_link", "unpack", "path_tags"),
		fields("id", "filename", "content_type", "size", "version", "user_id", "created_on", "updated_on",
			"thumb_url", "preview_url", "public_url", "download_url", "sha256", "processing", "width", "height",
			"duration", "page_count", "camera", "taken_at", "latitude", "longitude", "metadata_type", "metadata_pixel_width", "metadata_pixel_height",
			"metadata_resolution_width", "metadata_resolution_height", "metadata_bits_per_sample",
			"metadata_color_space", "metadata_orientation", "metadata_alpha_channel", "processing_error", "lens", "keywords", "caption", "creator", "copyright", "xmp_title", "xmp_description", "video_codec", "audio_codec")}
	versionResource = resource{"version",
		fields("comment", "upload_id"),
		fields("id", "number", "asset_id", "filename", "content_type", "size", "sha256", "user_id", "created_on")}
	tagResource        = resource{"tag", fields("tag", "name"), fields("id", "assets_count", "documents_count")}
	collectionResource = resource{"collection",
		fields("title", "description", "query", "asset_ids", "add_asset_ids", "remove_asset_ids"),
		fields("id", "assets_count", "created_on", "updated_on")}
	inboxResource = resource{"inbox",
		fields("title", "message", "password", "expires_on", "tags", "max_file_size", "max_files"),
		fields("id", "url", "has_password", "uploads_count", "created_on", "updated_on", "revoked_on")}
	userResource = resource{"user",
		fields("login", "email", "first_name", "last_name", "role", "password", "disabled", "collection_ids"),
		fields("id", "created_on", "updated_on", "collections_only")}
	tokenResource = resource{"token",
		fields("name", "read_only", "expires_on", "expires_in_days"),
		fields("id", "prefix", "user_id", "created_on", "last_used_on", "revoked_on", "token")}
	stageResource = resource{"stage",
		fields("title", "message", "collection_id", "password", "expires_on", "downloads", "watermark", "watermark_position",
			"watermark_opacity", "recipients"),
		fields("id", "url", "has_password", "views_count", "downloads_count", "created_on", "updated_on", "revoked_on")}
	webhookResource = resource{"webhook",
		fields("url", "events", "active"),
		fields("id", "secret", "failing_since", "created_on", "updated_on")}
	accountResource = resource{"account",
		fields(append([]string{"company_name", "billing_email", "country", "api_enabled", "public_links", "public_thumbnails", "keywords_to_tags"},
			planFieldNames()...)...),
		fields("id", "subdomain", "account_holder_id", "branding", "branding_info", "trial", "stats",
			"users_count", "assets_count", "created_on", "updated_on")}
)

// planFields are the fields in which a request may say something of the
// account's plan, with what each speaks of (library.PlanSaid.Of): the
// plan's name; its properties as attributes (<plan versions="true">,
// {"plan": {"versions": true}}, as the document writes the features) or
// as fields (as the operator's plans file names the limits); and the
// figures of the document's stats that the plan sets. The library refuses
// any that says other than what the plan is.
var planFields = []struct{ field, of string }{
	{"plan", "name"},
	{"plan.ssl", "ssl"}, {"plan.stages", "stages"}, {"plan.multiple_users", "multiple_users"},
	{"plan.versions", "versions"}, {"plan.branding", "branding"}, {"plan.full_text_search", "full_text_search"},
	{"plan.storage_limit", "storage_limit"}, {"plan.bandwidth", "bandwidth"},
	{"storage_limit", "storage_limit"}, {"bandwidth", "bandwidth"},
	{"stats.available_space", "available_space"}, {"stats.available_bandwidth", "available_bandwidth"},
}

func planFieldNames() []string {
	names := make([]string, len(planFields))
	for i, f := range planFields {
		names[i] = f.field
	}
	return names
}

// Limits of a body without a file.
const (
	maxFormBody  = 1 << 20
	maxFieldSize = 64 << 10
)

// body is a request's fields. ptr tells a field sent empty ("") from one not sent (nil).
type body map[string]string

func (b body) ptr(name string) *string {
	if v, ok := b[name]; ok {
		return &v
	}
	return nil
}

func (b body) boolPtr(name string) (*bool, error) {
	v, ok := b[name]
	if !ok {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "on":
		t := true
		return &t, nil
	case "false", "0", "no", "off", "":
		f := false
		return &f, nil
	}
	return nil, damask.Errorf(damask.EINVALID, "%s must be true or false", name)
}

func (b body) id(name string) (int64, error) {
	v, ok := b[name]
	if !ok || strings.TrimSpace(v) == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return 0, damask.Errorf(damask.EINVALID, "%s must be a positive integer", name)
	}
	return n, nil
}

// fileFunc receives the file part of a multipart body.
type fileFunc func(r io.Reader, filename string) error

// readBody reads the request's fields for res. A multipart file part
// named file (or res[file]) goes to onFile as it streams by; when onFile
// is nil, a file is refused.
func readBody(r *http.Request, res resource, onFile fileFunc) (body, error) {
	b := body{}
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Header.Get("Content-Type") == "" {
		ct, err = "", nil
	}
	if err != nil {
		return nil, damask.Errorf(damask.EMALFORMED, "Content-Type cannot be read: %v", err)
	}
	switch ct {
	case "multipart/form-data":
		err = readMultipart(r, params["boundary"], res, b, onFile)
	case "application/x-www-form-urlencoded":
		err = readURLEncoded(r, res, b)
	case "application/xml", "text/xml":
		err = readXML(r, res, b)
	case "application/json":
		err = readJSON(r, res, b)
	case "":
		if r.ContentLength > 0 {
			err = damask.Errorf(damask.EMALFORMED, "A body needs a Content-Type: form, multipart, XML or JSON")
		}
	default:
		err = damask.Errorf(damask.EMALFORMED, "Content-Type %s is not taken here: send a form, multipart, XML or JSON", ct)
	}
	if err != nil {
		return nil, err
	}
	// Fields in the query string count too, as Rails merged them, unless
	// the body set them.
	for k, vs := range r.URL.Query() {
		if name, ok := fieldName(k, res); ok && res.writable[name] {
			if _, set := b[name]; !set {
				b[name] = vs[len(vs)-1]
			}
		}
	}
	return b, nil
}

var nested = regexp.MustCompile(`^([a-z_]+)\[([a-z_]+)\]$`)

// fieldName reads asset[title] and title alike as title.
func fieldName(key string, res resource) (string, bool) {
	if m := nested.FindStringSubmatch(key); m != nil {
		return m[2], m[1] == res.name
	}
	return key, true
}

// set records a field, refusing unknown ones and ignoring the document's
// read-only fields.
func set(b body, res resource, name, value string) error {
	switch {
	case res.writable[name]:
		if len(value) > maxFieldSize {
			return damask.Errorf(damask.EINVALID, "%s is too long", name)
		}
		b[name] = value
	case res.readOnly[name]:
	default:
		return damask.Errorf(damask.EINVALID, "Unknown field %q for %s", truncate(name, 64), res.name)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func readURLEncoded(r *http.Request, res resource, b body) error {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxFormBody))
	if err != nil {
		return bodyError(err)
	}
	vals, err := parseQuery(string(data))
	if err != nil {
		return err
	}
	for k, vs := range vals {
		name, ok := fieldName(k, res)
		if !ok {
			return damask.Errorf(damask.EINVALID, "Unknown field %q for %s", truncate(k, 64), res.name)
		}
		if err := set(b, res, name, vs[len(vs)-1]); err != nil {
			return err
		}
	}
	return nil
}

func parseQuery(s string) (map[string][]string, error) {
	vals, err := url.ParseQuery(s)
	if err != nil {
		return nil, damask.Errorf(damask.EMALFORMED, "The form cannot be read: %v", err)
	}
	return vals, nil
}

// tooLargeBody is a body read past its limit as ETOOLARGE; nil for any
// other error.
func tooLargeBody(err error) error {
	return httpdomain.TooLarge(err, func(limit int64) string {
		return fmt.Sprintf("The request body is larger than %d bytes", limit)
	})
}

func bodyError(err error) error {
	if tl := tooLargeBody(err); tl != nil {
		return tl
	}
	return &damask.Error{Code: damask.EMALFORMED, Message: "The request body could not be read", Err: err}
}

func readMultipart(r *http.Request, boundary string, res resource, b body, onFile fileFunc) error {
	if boundary == "" {
		return damask.Errorf(damask.EMALFORMED, "multipart/form-data without a boundary")
	}
	mr := multipart.NewReader(r.Body, boundary)
	textBytes := 0
	gotFile := false
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var de *damask.Error
		if errors.As(err, &de) {
			return de // the body's own complaint: a checksum that does not match
		}
		if err != nil {
			return &damask.Error{Code: damask.EMALFORMED, Message: "The multipart body cannot be read", Err: err}
		}
		name, ok := fieldName(p.FormName(), res)
		if !ok {
			return damask.Errorf(damask.EINVALID, "Unknown field %q for %s", truncate(p.FormName(), 64), res.name)
		}
		if name == "file" {
			if onFile == nil {
				return damask.Errorf(damask.EINVALID, "A file is not taken here")
			}
			if gotFile {
				return damask.Errorf(damask.EINVALID, "Send one file at a time")
			}
			gotFile = true
			if err := onFile(fileOf(r, p), p.FileName()); err != nil {
				return err
			}
			continue
		}
		data, err := io.ReadAll(io.LimitReader(p, maxFieldSize+1))
		if err != nil {
			return &damask.Error{Code: damask.EMALFORMED, Message: "The multipart body cannot be read", Err: err}
		}
		if textBytes += len(data); textBytes > maxFormBody {
			return damask.Errorf(damask.ETOOLARGE, "The form fields are larger than %d bytes", maxFormBody)
		}
		if err := set(b, res, name, string(data)); err != nil {
			return err
		}
	}
}

// readXML reads <asset><title>...</title><tags>a, b</tags></asset>, and
// the document as ActiveResource (every Rails to_xml) writes it: names
// dashed (<upload-id type="integer">, read as upload_id), nulls as
// nil="true", and on a save the whole document it read, with its
// read-only fields, nested records (<stats><available-space>) and typed
// arrays (<tags type="array"><tag><id>1</id><tag>a</tag></tag></tags>).
// Go's decoder resolves no external entities and fetches nothing.
func readXML(r *http.Request, res resource, b body) error {
	d := xml.NewDecoder(http.MaxBytesReader(nil, r.Body, maxFormBody))
	d.Strict = true
	var doc struct {
		XMLName xml.Name
		Fields  []xmlField `xml:",any"`
	}
	if err := d.Decode(&doc); err != nil {
		if tooLargeBody(err) != nil || errors.Is(err, httplimit.ErrSlowBody) {
			return bodyError(err)
		}
		return damask.Errorf(damask.EMALFORMED, "The XML body cannot be read: %v", err)
	}
	for _, f := range doc.Fields {
		name := f.name()
		var err error
		switch {
		case listFields[name]:
			err = set(b, res, name, strings.TrimSpace(f.list()))
		case len(f.Items) > 0:
			err = f.record(res, b)
		case f.Nil == "true":
			err = set(b, res, name, "")
		default:
			err = set(b, res, name, strings.TrimSpace(f.Text))
		}
		if err != nil {
			return err
		}
		// Attributes that are fields, as <plan versions="true">
		// writes plan.versions; others (type=, nil=) say nothing.
		for _, a := range f.Attrs {
			if n := name + "." + xmlName(a.Name.Local); res.writable[n] {
				if err := set(b, res, n, strings.TrimSpace(a.Value)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// listFields are the fields that take a list, sent as text separated by
// commas or as an array (XML's type="array", JSON's []): of names (tags,
// domains, event types) or of ids.
var listFields = fields("tags", "domains", "events", "asset_ids", "add_asset_ids", "remove_asset_ids", "collection_ids")

// xmlName is an element's or attribute's name as a field's: Rails wrote
// and read upload_id as <upload-id>.
func xmlName(local string) string { return strings.ReplaceAll(local, "-", "_") }

type xmlField struct {
	XMLName xml.Name
	Nil     string     `xml:"nil,attr"`
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Items   []xmlField `xml:",any"`
}

func (f xmlField) name() string { return xmlName(f.XMLName.Local) }

// record reads a field that holds elements: those the resource takes as
// name.field, as <stats><available-space> says stats.available_space.
// The rest of a read-only record (<branding-info>) says nothing; any
// other field takes text.
func (f xmlField) record(res resource, b body) error {
	name := f.name()
	if !res.writable[name] && !res.readOnly[name] {
		return set(b, res, name, "") // unknown
	}
	for _, sub := range f.Items {
		n := name + "." + sub.name()
		switch {
		case res.writable[n] && len(sub.Items) > 0:
			return damask.Errorf(damask.EINVALID, "Field %q takes text, not elements", truncate(n, 64))
		case res.writable[n]:
			v := strings.TrimSpace(sub.Text)
			if sub.Nil == "true" {
				v = ""
			}
			if err := set(b, res, n, v); err != nil {
				return err
			}
		case !res.readOnly[name]:
			return damask.Errorf(damask.EINVALID, "Field %q takes text, not elements", truncate(name, 64))
		}
	}
	return nil
}

// list reads a list field: its text (a, b), or its items, each a name
// (<domain>a.example</domain>) or a record named by its tag or name, else
// its id (<tag><id>1</id><tag>a</tag></tag>), joined by commas.
func (f xmlField) list() string {
	if len(f.Items) == 0 {
		return f.Text
	}
	names := make([]string, 0, len(f.Items))
	for _, it := range f.Items {
		if len(it.Items) == 0 {
			names = append(names, strings.TrimSpace(it.Text))
			continue
		}
		var name, id *string
		for _, sub := range it.Items {
			v := strings.TrimSpace(sub.Text)
			switch sub.name() {
			case "tag", "name":
				name = &v
			case "id":
				id = &v
			}
		}
		if name = cmp.Or(name, id); name != nil {
			names = append(names, *name)
		}
	}
	return strings.Join(names, ",")
}

// readJSON reads {"title": ...} or {"asset": {"title": ...}}; tags may be
// a string, an array of names, or an array of {"id":..,"tag":..}.
func readJSON(r *http.Request, res resource, b body) error {
	// The body is read whole (it is capped, and never a file) because
	// encoding/json quietly turns invalid UTF-8 into U+FFFD: a client's
	// broken text would be stored altered instead of refused.
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxFormBody))
	if err != nil {
		return bodyError(err)
	}
	if !utf8.Valid(data) {
		return damask.Errorf(damask.EMALFORMED, "The JSON body is not valid UTF-8")
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		return damask.Errorf(damask.EMALFORMED, "The JSON body cannot be read: %v", err)
	}
	if d.More() {
		return damask.Errorf(damask.EMALFORMED, "The JSON body holds more than one value")
	}
	if inner, ok := doc[res.name].(map[string]any); ok && len(doc) == 1 {
		doc = inner
	}
	for name, v := range doc {
		// The attributes of a value that has them, as
		// {"plan": {"name": "pro", "versions": true}} writes plan.versions;
		// others say nothing.
		if obj, ok := v.(map[string]any); ok {
			for k, av := range obj {
				if n := name + "." + k; res.writable[n] {
					text, err := jsonText(n, av)
					if err != nil {
						return err
					}
					if err := set(b, res, n, text); err != nil {
						return err
					}
				}
			}
		}
		value, err := jsonText(name, v)
		if err != nil {
			if res.readOnly[name] {
				continue
			}
			return err
		}
		if err := set(b, res, name, value); err != nil {
			return err
		}
	}
	return nil
}

func jsonText(name string, v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	case map[string]any:
		// A value with attributes, as writeJSON writes <plan ssl="true">pro</plan>:
		// {"name": "pro", "ssl": true}. A document sent back whole carries it so.
		if text, ok := v["name"].(string); ok {
			return text, nil
		}
	case []any:
		if !listFields[name] {
			break
		}
		names := make([]string, 0, len(v))
		for _, it := range v {
			switch it := it.(type) {
			case string:
				names = append(names, it)
			case json.Number:
				names = append(names, it.String())
			case map[string]any:
				if t, ok := it["tag"].(string); ok {
					names = append(names, t)
				} else if id, ok := it["id"].(json.Number); ok {
					names = append(names, id.String())
				}
			default:
				return "", damask.Errorf(damask.EINVALID, "%s must be names or ids", name)
			}
		}
		return strings.Join(names, ","), nil
	}
	return "", damask.Errorf(damask.EINVALID, "Field %q takes a string, a number or a boolean", truncate(name, 64))
}
