package httpapi

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"damask"
	"damask/httpdomain"
)

// The description of the API: openapi.json, an OpenAPI 3.1 document kept
// by hand beside the routes and served as it is. A file rather than Go
// data, because the bytes a client downloads are then the bytes a reviewer
// reads, and the tests hold both ends of it: every pattern of routes.go
// must be described and every described route must exist
// (TestDescriptionCoversRoutes), and every JSON answer of the httpapi
// tests is validated against it.

//go:embed openapi.json
var openAPI []byte

// openAPITag is the description's ETag: it changes with the binary only.
var openAPITag = func() string {
	sum := sha256.Sum256(openAPI)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
}()

// description answers GET /api/openapi.json. It is JSON only: an OpenAPI
// document has no XML form. It goes through the same steps as every /api/
// route (account, API switch, credentials): it holds no secret, but one
// rule for all of /api/ is simpler to hold than an exception, and an
// account whose API is off shows no part of it.
func (s *Server) description(w http.ResponseWriter, r *http.Request) {
	if info(r).format != formatJSON {
		s.fail(w, r, damask.Errorf(damask.ENOTFOUND, "The description is JSON only: GET /api/openapi.json"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", openAPITag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(openAPI))
}

// docsCSP is the site's policy for a page with no script: its own
// stylesheet, nothing else.
const docsCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// docs answers GET /api/docs: the description as an HTML page rendered
// here, without scripts, grouped by resource.
func (s *Server) docs(w http.ResponseWriter, r *http.Request) {
	if hasFormat(r) {
		s.fail(w, r, damask.Errorf(damask.ENOTFOUND, "The page is /api/docs; the description, /api/openapi.json"))
		return
	}
	page, err := docsPage()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	httpdomain.SecurityHeaders(h, docsCSP, s.secure(r))
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", openAPITag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(page))
}

// docsPage is rendered once: the description cannot change while the
// process runs.
var docsPage = sync.OnceValues(func() ([]byte, error) {
	var d apiDoc
	if err := json.Unmarshal(openAPI, &d); err != nil {
		return nil, fmt.Errorf("read the API description: %w", err)
	}
	var b bytes.Buffer
	if err := docsTemplate.Execute(&b, d.view()); err != nil {
		return nil, fmt.Errorf("render the API description: %w", err)
	}
	return b.Bytes(), nil
})

// apiDoc is the part of an OpenAPI document the page shows.
type apiDoc struct {
	Info struct {
		Title, Version, Description string
	}
	Tags []struct {
		Name, Description string
	}
	Paths map[string]map[string]json.RawMessage
	// Webhooks are the calls the server makes: what a webhook receives.
	Webhooks   map[string]map[string]json.RawMessage
	Components struct {
		SecuritySchemes map[string]struct {
			Scheme, Description string
		}
		Parameters map[string]apiParam
		Responses  map[string]apiResponse
		Schemas    map[string]apiSchema
	}
}

type apiOperation struct {
	Tags                 []string
	OperationID          string
	Summary, Description string
	Parameters           []apiParam
	RequestBody          *struct {
		Description string
		Content     map[string]apiMedia
	}
	Responses map[string]apiResponse
}

type apiParam struct {
	Ref                   string `json:"$ref"`
	Name, In, Description string
	Required              bool
	Schema                apiSchema
	Example               any
}

type apiResponse struct {
	Ref         string `json:"$ref"`
	Description string
	Content     map[string]apiMedia
}

type apiMedia struct {
	Schema apiSchema
}

type apiSchema struct {
	Ref         string `json:"$ref"`
	Type        any
	Format      string
	Description string
	Enum        []any
	Items       *apiSchema
	OneOf       []apiSchema
	AnyOf       []apiSchema
	AllOf       []apiSchema
	Properties  map[string]apiSchema
	Required    []string
	Example     any
}

// refName is the last element of a local reference.
func refName(ref string) string { return ref[strings.LastIndex(ref, "/")+1:] }

// summary says a schema in a few words, the schemas it refers to linked
// to their part of the page.
func (sc apiSchema) summary() template.HTML {
	switch {
	case sc.Ref != "":
		name := template.HTMLEscapeString(refName(sc.Ref))
		return template.HTML(`<a href="#schema-` + name + `">` + name + `</a>`) // escaped above
	case sc.Items != nil:
		return "array of " + sc.Items.summary()
	case len(sc.OneOf) > 0 || len(sc.AnyOf) > 0 || len(sc.AllOf) > 0:
		var parts []string
		for _, p := range slices.Concat(sc.OneOf, sc.AnyOf, sc.AllOf) {
			parts = append(parts, string(p.summary()))
		}
		sep := " or "
		if len(sc.AllOf) > 0 {
			sep = " and "
		}
		return template.HTML(strings.Join(parts, sep)) // made of escaped parts
	}
	t := fmt.Sprint(cmp.Or[any](sc.Type, "any"))
	if ts, ok := sc.Type.([]any); ok {
		var names []string
		for _, x := range ts {
			names = append(names, fmt.Sprint(x))
		}
		t = strings.Join(names, " or ")
	}
	if sc.Format != "" {
		t += " (" + sc.Format + ")"
	}
	if len(sc.Enum) > 0 {
		t += ": " + strings.Trim(fmt.Sprint(sc.Enum), "[]")
	}
	return template.HTML(template.HTMLEscapeString(t)) // escaped
}

// The page's view of the description.
type (
	docsView struct {
		Title, Version, Description string
		Security                    []docsField
		Groups                      []docsGroup
		Schemas                     []docsSchema
	}
	docsGroup struct {
		Name, Description string
		Routes            []docsRoute
	}
	docsRoute struct {
		Method, Path, Summary, Description string
		OperationID                        string
		Params                             []docsField
		Bodies                             []docsField // Name: media type, Type: schema
		Responses                          []docsField // Name: status
	}
	docsField struct {
		Name, In, Description string
		Type                  template.HTML
		Required              bool
	}
	docsSchema struct {
		Name, Description string
		Fields            []docsField
		Example           string
	}
)

var methodOrder = []string{"options", "head", "get", "post", "put", "patch", "delete"}

func (d *apiDoc) view() docsView {
	v := docsView{Title: d.Info.Title, Version: d.Info.Version, Description: d.Info.Description}
	for _, name := range slices.Sorted(maps.Keys(d.Components.SecuritySchemes)) {
		sc := d.Components.SecuritySchemes[name]
		v.Security = append(v.Security, docsField{Name: name, Type: template.HTML(template.HTMLEscapeString(sc.Scheme)), Description: sc.Description}) // escaped
	}
	groups := map[string]*docsGroup{}
	for _, t := range d.Tags {
		v.Groups = append(v.Groups, docsGroup{Name: t.Name, Description: t.Description})
	}
	for i := range v.Groups {
		groups[v.Groups[i].Name] = &v.Groups[i]
	}
	for _, path := range slices.Sorted(maps.Keys(d.Paths)) {
		for _, m := range methodOrder {
			raw, ok := d.Paths[path][m]
			if !ok {
				continue
			}
			var op apiOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				continue
			}
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			g := groups[tag]
			if g == nil {
				v.Groups = append(v.Groups, docsGroup{Name: tag})
				g = &v.Groups[len(v.Groups)-1]
				for i := range v.Groups { // the append may have moved them
					groups[v.Groups[i].Name] = &v.Groups[i]
				}
			}
			g.Routes = append(g.Routes, d.route(strings.ToUpper(m), path, op))
		}
	}
	if len(d.Webhooks) > 0 {
		g := docsGroup{Name: "received", Description: "What the server sends to a webhook's URL."}
		for _, name := range slices.Sorted(maps.Keys(d.Webhooks)) {
			for _, m := range methodOrder {
				var op apiOperation
				if raw, ok := d.Webhooks[name][m]; ok && json.Unmarshal(raw, &op) == nil {
					g.Routes = append(g.Routes, d.route(strings.ToUpper(m), "(the webhook's url): "+name, op))
				}
			}
		}
		v.Groups = append(v.Groups, g)
	}
	for _, name := range slices.Sorted(maps.Keys(d.Components.Schemas)) {
		sc := d.Components.Schemas[name]
		s := docsSchema{Name: name, Description: sc.Description}
		if sc.Items != nil || sc.Properties == nil {
			s.Fields = append(s.Fields, docsField{Name: "(value)", Type: sc.summary()})
		}
		for _, p := range slices.Sorted(maps.Keys(sc.Properties)) {
			ps := sc.Properties[p]
			s.Fields = append(s.Fields, docsField{Name: p, Type: ps.summary(), Description: ps.Description, Required: slices.Contains(sc.Required, p)})
		}
		if sc.Example != nil {
			b, err := json.MarshalIndent(sc.Example, "", "  ")
			if err == nil {
				s.Example = string(b)
			}
		}
		v.Schemas = append(v.Schemas, s)
	}
	return v
}

func (d *apiDoc) route(method, path string, op apiOperation) docsRoute {
	rt := docsRoute{Method: method, Path: path, Summary: op.Summary, Description: op.Description, OperationID: op.OperationID}
	for _, p := range op.Parameters {
		if p.Ref != "" {
			p = d.Components.Parameters[refName(p.Ref)]
		}
		rt.Params = append(rt.Params, docsField{Name: p.Name, In: p.In, Type: p.Schema.summary(), Description: p.Description, Required: p.Required})
	}
	if op.RequestBody != nil {
		for _, ct := range slices.Sorted(maps.Keys(op.RequestBody.Content)) {
			rt.Bodies = append(rt.Bodies, docsField{Name: ct, Type: op.RequestBody.Content[ct].Schema.summary(), Description: op.RequestBody.Description})
		}
	}
	for _, st := range slices.Sorted(maps.Keys(op.Responses)) {
		res := op.Responses[st]
		if res.Ref != "" {
			res = d.Components.Responses[refName(res.Ref)]
		}
		var types []string
		for _, ct := range slices.Sorted(maps.Keys(res.Content)) {
			types = append(types, template.HTMLEscapeString(ct)+": "+string(res.Content[ct].Schema.summary()))
		}
		rt.Responses = append(rt.Responses, docsField{Name: st, Type: template.HTML(strings.Join(types, "; ")), Description: res.Description}) // made of escaped parts
	}
	return rt
}

var docsTemplate = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="/static/damask.css">
</head>
<body>
<main class="api-docs">
<h1>{{.Title}} <small>version {{.Version}}</small></h1>
<p>{{.Description}}</p>
<p>The same as a machine-readable OpenAPI 3.1 document: <a href="/api/openapi.json">/api/openapi.json</a>.</p>
<h2 id="authentication">Authentication</h2>
<dl>{{range .Security}}<dt>{{.Name}} ({{.Type}})</dt><dd>{{.Description}}</dd>{{end}}</dl>
<nav><h2>Resources</h2><ul>{{range .Groups}}<li><a href="#{{.Name}}">{{.Name}}</a></li>{{end}}<li><a href="#documents">documents</a></li></ul></nav>
{{range .Groups}}<section id="{{.Name}}">
<h2>{{.Name}}</h2>
{{with .Description}}<p>{{.}}</p>{{end}}
{{range .Routes}}<article class="route">
<h3 id="{{.OperationID}}"><code>{{.Method}} {{.Path}}</code></h3>
<p>{{.Summary}} <small>(operation {{.OperationID}})</small></p>
{{with .Description}}<p>{{.}}</p>{{end}}
{{with .Params}}<table><caption>Parameters</caption><tr><th>name</th><th>in</th><th>type</th><th>about</th></tr>
{{range .}}<tr><td><code>{{.Name}}</code>{{if .Required}} (required){{end}}</td><td>{{.In}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</table>{{end}}
{{with .Bodies}}<table><caption>Request body</caption><tr><th>content type</th><th>document</th></tr>
{{range .}}<tr><td>{{.Name}}</td><td>{{.Type}}</td></tr>
{{end}}</table>{{end}}
<table><caption>Responses</caption><tr><th>status</th><th>document</th><th>about</th></tr>
{{range .Responses}}<tr><td>{{.Name}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</table>
</article>
{{end}}</section>
{{end}}<section id="documents">
<h2>Documents</h2>
{{range .Schemas}}<article id="schema-{{.Name}}">
<h3>{{.Name}}</h3>
{{with .Description}}<p>{{.}}</p>{{end}}
<table><tr><th>field</th><th>type</th><th>about</th></tr>
{{range .Fields}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</table>
{{with .Example}}<pre>{{.}}</pre>{{end}}
</article>
{{end}}</section>
</main>
</body>
</html>
`))
