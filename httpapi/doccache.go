package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"sync"

	"damask/library"
)

// The answers of the busiest reads (one asset, a page of assets) are kept
// in memory, rendered, under the store's data stamp (library.DataStamp),
// which the request read before anything else: while the store answers the
// same stamp nothing was committed anywhere, by this process, another
// server or the command line, so that the handler would write the same
// bytes again. A request with that stamp, from the same caller, for the
// same URL in the same format, gets the bytes kept; any commit gives the
// next request a new stamp, and the first request with a new one empties
// the cache. A store that cannot stamp its data (stamp 0) keeps nothing.

// docCacheBytes bounds the bodies kept; a full cache is emptied, which
// costs only renders.
const docCacheBytes = 32 << 20

// docKey is what an answer depends on besides the store's contents.
type docKey struct {
	account, user, token int64
	format               format
	base, public         string // scheme and host of URLs in documents
	path, query          string
}

// doc is a kept answer: its status, the headers its handler set, and its
// body.
type doc struct {
	status int
	header http.Header
	body   []byte
}

type docCache struct {
	mu    sync.RWMutex
	stamp int64
	size  int
	docs  map[docKey]*doc
}

func (c *docCache) get(stamp int64, k docKey) *doc {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.stamp != stamp {
		return nil
	}
	return c.docs[k]
}

// put keeps d under the stamp; an older stamp than the cache's is dropped,
// a newer one empties the cache first. Stamps only grow in one process.
func (c *docCache) put(stamp int64, k docKey, d *doc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case stamp < c.stamp:
		return
	case stamp > c.stamp || c.size+len(d.body) > docCacheBytes:
		c.stamp, c.size, c.docs = stamp, 0, make(map[docKey]*doc)
	}
	if len(d.body) > docCacheBytes/4 {
		return
	}
	if old := c.docs[k]; old != nil {
		c.size -= len(old.body)
	}
	c.docs[k] = d
	c.size += len(d.body)
}

// kept serves a GET route's answers from the cache, and keeps the 200
// answers it renders.
func (s *Server) kept(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		stamp := library.DataStamp(r.Context())
		if stamp == 0 || r.Method != http.MethodGet {
			h(w, r)
			return
		}
		i, c := info(r), caller(r)
		k := docKey{account: i.account.ID, format: i.format, base: i.base, public: i.public,
			path: r.URL.Path, query: r.URL.RawQuery}
		if c.User != nil {
			k.user = c.User.ID
		}
		if c.Token != nil {
			k.token = c.Token.ID
		}
		if d := s.answers.get(stamp, k); d != nil {
			hdr := w.Header()
			for name, v := range d.header {
				hdr[name] = v[:len(v):len(v)]
			}
			w.WriteHeader(d.status)
			w.Write(d.body)
			return
		}
		rec := &docRecorder{ResponseWriter: w, before: w.Header().Clone()}
		h(rec, r)
		if rec.status == http.StatusOK && rec.header != nil && rec.whole() {
			s.answers.put(stamp, k, &doc{status: rec.status, header: rec.header, body: rec.body})
		}
	}
}

// docRecorder passes an answer on and keeps a copy of what its handler
// set: the headers it added or changed, and the body.
type docRecorder struct {
	http.ResponseWriter
	before http.Header
	status int
	header http.Header
	body   []byte
}

func (d *docRecorder) WriteHeader(status int) {
	if d.status == 0 {
		d.status = status
		d.header = http.Header{}
		for name, v := range d.Header() {
			if !slices.Equal(d.before[name], v) {
				d.header[name] = slices.Clip(slices.Clone(v))
			}
		}
	}
	d.ResponseWriter.WriteHeader(status)
}

func (d *docRecorder) Write(b []byte) (int, error) {
	if d.status == 0 {
		d.WriteHeader(http.StatusOK)
	}
	d.body = append(d.body, b...)
	return d.ResponseWriter.Write(b)
}

// whole tells whether the body written is the whole document its
// Content-Length announced.
func (d *docRecorder) whole() bool {
	return d.header.Get("Content-Length") == strconv.Itoa(len(d.body))
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (d *docRecorder) Unwrap() http.ResponseWriter { return d.ResponseWriter }
