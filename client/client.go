// Package client talks to a Damask server's API from a Go program: the
// assets (list, search with cursor iteration, get, create, update,
// delete), uploads (one request, or resumable by the tus 1.0 protocol with
// a SHA-256 per piece), tags, downloads (resumable with Range, checked
// against the asset's SHA-256) and API tokens. It speaks the API's JSON
// (the `.json` routes) and depends on the standard library only.
//
// A server's answer that is not a success is an *Error, which carries the
// HTTP status and the messages of the API's error document:
//
//	c, err := client.New("https://dam.example.com", client.WithToken(token))
//	a, err := c.Asset(ctx, 42)
//	var apiErr *client.Error
//	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound { ... }
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client is a connection to one server (one account, chosen by the URL's
// host) as one user. It is safe for use by several goroutines.
type Client struct {
	base      *url.URL
	hc        *http.Client
	login     string
	password  string
	token     string
	userAgent string
	chunk     int64
}

// Option sets a Client's option in New.
type Option func(*Client)

// WithBasicAuth signs every request in with HTTP Basic auth: a login (or
// e-mail address) and its password, or an API token as the password.
func WithBasicAuth(login, password string) Option {
	return func(c *Client) { c.login, c.password, c.token = login, password, "" }
}

// WithToken signs every request in with an API token (`dmk_...`) as
// `Authorization: Bearer`.
func WithToken(token string) Option {
	return func(c *Client) { c.token, c.login, c.password = token, "", "" }
}

// WithHTTPClient sends the requests through hc instead of a client of
// the package's own (no overall timeout: uploads and downloads may be
// long; cancel them through their context).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.hc = hc }
}

// WithChunkSize sets the size of a resumable upload's pieces (one PATCH
// each): a broken connection sends at most one piece again. The default
// is 8 MiB.
func WithChunkSize(n int64) Option {
	return func(c *Client) {
		if n > 0 {
			c.chunk = n
		}
	}
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// DefaultChunkSize is a resumable upload's piece unless WithChunkSize
// says otherwise.
const DefaultChunkSize = 8 << 20

// New is a client of the server at baseURL (scheme and host, such as
// `https://acme.dam.example.com`; a path is kept as a prefix).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("client: server address: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: server address %q: want http://HOST or https://HOST", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	c := &Client{base: u, hc: &http.Client{}, userAgent: "damask-client", chunk: DefaultChunkSize}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL is the server's address the client was made with.
func (c *Client) BaseURL() string { return c.base.String() }

// Error is an answer of the server that is not a success.
type Error struct {
	Method, Path string
	// Status is the HTTP status, such as 404 or 422.
	Status int
	// Messages are the API's error messages (`{"errors": [...]}`), or the
	// text of a plain answer (the resumable upload protocol's).
	Messages []string
	// RetryAfter is the answer's Retry-After (a 429 or 503), else 0.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	msg := http.StatusText(e.Status)
	if len(e.Messages) > 0 {
		msg = strings.Join(e.Messages, "; ")
	}
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, msg)
}

// IsNotFound tells whether err is the server's 404.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// url is the address of path (which may carry a query) on the server.
func (c *Client) url(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return c.base.String() + path
}

// newRequest is a request of the client's, signed in.
func (c *Client) newRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), body)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	switch {
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	case c.login != "":
		req.SetBasicAuth(c.login, c.password)
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	return req, nil
}

// do sends the request; an answer whose status is not one of ok is an
// *Error (its body read and closed), else the caller closes the body.
func (c *Client) do(req *http.Request, ok ...int) (*http.Response, error) {
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", req.Method, req.URL.Path, err)
	}
	for _, s := range ok {
		if res.StatusCode == s {
			return res, nil
		}
	}
	defer res.Body.Close()
	return nil, readError(req, res)
}

// readError is the *Error of an answer, with the messages of its body.
func readError(req *http.Request, res *http.Response) *Error {
	e := &Error{Method: req.Method, Path: req.URL.Path, Status: res.StatusCode}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var doc struct {
		Errors []string `json:"errors"`
	}
	if json.Unmarshal(b, &doc) == nil && len(doc.Errors) > 0 {
		e.Messages = doc.Errors
	} else if s := strings.TrimSpace(string(b)); s != "" && !strings.HasPrefix(s, "<") && !strings.HasPrefix(s, "{") && !strings.HasPrefix(s, "[") {
		e.Messages = []string{s}
	}
	return e
}

// call sends a request with an optional form body and decodes a JSON
// answer into out (when not nil).
func (c *Client) call(ctx context.Context, method, path string, form url.Values, out any, ok ...int) (http.Header, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := c.newRequest(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.do(req, ok...)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			return nil, fmt.Errorf("client: %s %s: read the answer: %w", method, req.URL.Path, err)
		}
	}
	return res.Header, nil
}
