package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"damask/httpapi"
)

// The description (openapi.json) read by the validator, and the helpers
// that hold the tests' requests and answers against it.

type described struct {
	doc   *openapi3.T
	paths []describedPath // the fewest wildcards first: /api/assets/facets.json before /api/assets/{id}.json
}

type describedPath struct {
	template string
	re       *regexp.Regexp
	names    []string
	item     *openapi3.PathItem
}

var loadDescription = sync.OnceValues(func() (*described, error) {
	// The pieces of a resumable upload (tus) are bytes, as a raw upload's.
	openapi3filter.RegisterBodyDecoder("application/offset+octet-stream", openapi3filter.FileBodyDecoder)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(httpapi.OpenAPI)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	d := &described{doc: doc}
	wild := regexp.MustCompile(`\{([^}]+)\}`)
	for tmpl, item := range doc.Paths.Map() {
		p := describedPath{template: tmpl, item: item}
		expr := "^"
		last := 0
		for _, m := range wild.FindAllStringSubmatchIndex(tmpl, -1) {
			expr += regexp.QuoteMeta(tmpl[last:m[0]]) + "([^/]+?)"
			p.names = append(p.names, tmpl[m[2]:m[3]])
			last = m[1]
		}
		p.re = regexp.MustCompile(expr + regexp.QuoteMeta(tmpl[last:]) + "$")
		d.paths = append(d.paths, p)
	}
	sort.Slice(d.paths, func(i, j int) bool {
		a, b := d.paths[i], d.paths[j]
		if len(a.names) != len(b.names) {
			return len(a.names) < len(b.names)
		}
		return a.template < b.template
	})
	return d, nil
})

func description(t testing.TB) *described {
	t.Helper()
	d, err := loadDescription()
	if err != nil {
		t.Fatalf("the description is not a valid OpenAPI document: %v", err)
	}
	return d
}

// route finds the described operation of a request. A path without
// extension (Accept: application/json) is tried as it is and with .json:
// of the templates that match and have the method, the one with the
// fewest wildcards wins, the path as it is on a tie. HEAD falls back on
// GET. It answers nil for what the description does not have (the tests
// of 404 and 405).
func (d *described) route(method, path string) (*routers.Route, map[string]string) {
	tries := []string{path}
	if !strings.HasSuffix(path, ".json") && !strings.HasSuffix(path, ".xml") {
		tries = append(tries, path+".json")
	}
	var (
		best  *describedPath
		op    *openapi3.Operation
		match []string
	)
	for _, p := range tries {
		for i := range d.paths {
			dp := &d.paths[i]
			o := dp.item.GetOperation(method)
			if o == nil && method == http.MethodHead {
				o = dp.item.GetOperation(http.MethodGet)
			}
			if o == nil {
				continue
			}
			if m := dp.re.FindStringSubmatch(p); m != nil {
				if best == nil || len(dp.names) < len(best.names) {
					best, op, match = dp, o, m
				}
				break // d.paths has the fewest wildcards first
			}
		}
	}
	if best == nil {
		return nil, nil
	}
	params := map[string]string{}
	for i, n := range best.names {
		params[n] = match[i+1]
	}
	return &routers.Route{Spec: d.doc, Path: best.template, PathItem: best.item, Method: method, Operation: op}, params
}

var validateOptions = &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}

// checkAnswer validates a JSON answer against the description of its route;
// answers in XML or JSONP, and answers to routes the description does not
// have (the tests of 404 and 405), are not its business. Every request the
// tests send through client.do passes here.
func checkAnswer(t testing.TB, req *http.Request, r *response) {
	t.Helper()
	ct := r.header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/json") || !strings.HasPrefix(req.URL.Path, "/api/") {
		return
	}
	d := description(t)
	rt, params := d.route(req.Method, req.URL.Path)
	if rt == nil {
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: rt, Options: validateOptions},
		Status:                 r.status,
		Header:                 r.header,
		Options:                validateOptions,
	}
	in.SetBodyBytes(r.body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s: the answer (%d) is not as %s describes it: %v\n%s", req.Method, req.URL.Path, r.status, rt.Path, err, truncate(string(r.body), 400))
	}
}

// checkRequest validates a request against the description, failing the
// test for a route the description lacks; it answers the operation's
// method and path template, to count the routes tested.
func checkRequest(t testing.TB, method, path string, b payload, headers ...string) string {
	t.Helper()
	d := description(t)
	req, err := http.NewRequest(method, "http://acme.example.com"+path, bytes.NewReader(b.data))
	if err != nil {
		t.Fatal(err)
	}
	if b.ct != "" {
		req.Header.Set("Content-Type", b.ct)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rt, params := d.route(method, req.URL.Path)
	if rt == nil {
		t.Fatalf("%s %s: not in the description", method, path)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: rt, Options: validateOptions}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		t.Errorf("%s %s: the request is not as %s describes it: %v", method, path, rt.Path, err)
	}
	_, _ = io.Copy(io.Discard, req.Body)
	return method + " " + rt.Path
}
