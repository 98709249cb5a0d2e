package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"damask"
	"damask/httpdomain"
	"damask/library"
)

// What the handlers of every resource share: paging, lists, creates. The
// handlers live one file a resource (account.go, users.go, tags.go,
// assets.go, versions.go, uploads.go, downloads.go, tokens.go, ...).

const (
	defaultPerPage = 25
	maxPerPage     = 100
	maxPage        = 1 << 30
)

// pageOf reads page (from 1) and per_page (from 1; more than 100 is cut to 100).
func pageOf(r *http.Request) (damask.Page, error) {
	p := damask.Page{Number: 1, Size: defaultPerPage}
	q := r.URL.Query()
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			return p, errBadParam("page", fmt.Sprintf("must be a whole number from 1 to %d", maxPage))
		}
		p.Number = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, errBadParam("per_page", fmt.Sprintf("must be a whole number from 1 to %d", maxPerPage))
		}
		p.Size = min(n, maxPerPage) // more than the maximum is cut to it, as fluxiom did
	}
	return p, nil
}

// list answers a page of a collection with its paging headers; an empty
// page is 404 with an empty array, as the 2007 text has it.
func (s *Server) list(w http.ResponseWriter, r *http.Request, name string, items []node, total int, p damask.Page) {
	s.listMore(w, r, name, items, total, p, p.Offset()+len(items) < total)
}

// listPage answers a page of what fetch reads for the caller, each as
// doc makes its document, in a list named name: the whole of a list
// route that takes nothing but the page.
func listPage[T any](s *Server, w http.ResponseWriter, r *http.Request, name string,
	fetch func(context.Context, library.Caller, damask.Page) ([]T, int, error), doc func(T) node) {
	p, err := pageOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	xs, total, err := fetch(r.Context(), caller(r), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]node, len(xs))
	for i, x := range xs {
		items[i] = doc(x)
	}
	s.list(w, r, name, items, total, p)
}

// byID answers, with status, the document of what call does to the
// object the path's id names, for the caller: the whole of a route that
// takes nothing but the id (show, delete, revoke).
func byID[T any](s *Server, w http.ResponseWriter, r *http.Request, status int,
	call func(context.Context, library.Caller, int64) (T, error), doc func(T) node) {
	id, err := httpdomain.PathID(r, "id")
	if err == nil {
		var x T
		if x, err = call(r.Context(), caller(r), id); err == nil {
			s.reply(w, r, status, doc(x))
			return
		}
	}
	s.fail(w, r, err)
}

// create is the POST that makes one object, with an Idempotency-Key: its
// input decoded from the body, one service call (replayed or not), the
// document answered 201 at the object's path.
func create[In, T any](s *Server, w http.ResponseWriter, r *http.Request, decode func(*http.Request) (In, body, error),
	call func(context.Context, library.Caller, In, damask.IdempotencyKey) (T, bool, error), path func(T) string, doc func(T) node) {
	in, fields, err := decode(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	x, replayed, err := call(r.Context(), caller(r), in, requestKey(r, fields, nil))
	replay(w, replayed)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.created(w, r, path(x), doc(x))
}

// updateByID is the PUT of one object by the id in the path: its input
// decoded from the body, one service call, its document answered.
func updateByID[In, T any](s *Server, w http.ResponseWriter, r *http.Request,
	decode func(*http.Request) (In, body, error), update func(context.Context, library.Caller, int64, In) (T, error), doc func(T) node) {
	id, err := httpdomain.PathID(r, "id")
	if err == nil {
		var in In
		if in, _, err = decode(r); err == nil {
			var x T
			if x, err = update(r.Context(), caller(r), id, in); err == nil {
				s.reply(w, r, http.StatusOK, doc(x))
				return
			}
		}
	}
	s.fail(w, r, err)
}

// listMore is list for a total that may be an estimate: more tells whether
// a next page exists.
func (s *Server) listMore(w http.ResponseWriter, r *http.Request, name string, items []node, total int, p damask.Page, more bool) {
	h := w.Header()
	h.Set("X-Total-Count", strconv.Itoa(total))
	var links []string
	link := func(page int, rel string) {
		u := *r.URL
		u.Path = r.URL.Path + ext(r)
		q := u.Query()
		q.Set("page", strconv.Itoa(page))
		q.Set("per_page", strconv.Itoa(p.Size))
		u.RawQuery = q.Encode()
		links = append(links, fmt.Sprintf(`<%s%s>; rel="%s"`, info(r).base, u.RequestURI(), rel))
	}
	if more {
		link(p.Number+1, "next")
	}
	if p.Number > 1 && total > 0 {
		link(min(p.Number-1, (total+p.Size-1)/p.Size), "prev")
	}
	if len(links) > 0 {
		h.Set("Link", strings.Join(links, ", "))
	}
	st := http.StatusOK
	if len(items) == 0 {
		st = http.StatusNotFound
	}
	s.reply(w, r, st, array(name, items))
}

// ext is the format's extension, for URLs we hand out.
func ext(r *http.Request) string {
	if info(r).format == formatJSON {
		return ".json"
	}
	return ".xml"
}

// created answers 201 with the document and its Location.
func (s *Server) created(w http.ResponseWriter, r *http.Request, path string, doc node) {
	w.Header().Set("Location", info(r).base+path+ext(r))
	s.reply(w, r, http.StatusCreated, doc)
}

func caller(r *http.Request) library.Caller { return info(r).caller }
