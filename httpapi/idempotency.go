package httpapi

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"net/http"
	"slices"

	"damask"
	"damask/library"
)

// idempotent lets a create route take an Idempotency-Key: a valid key goes
// into the request's context, where the service finds it; the handler
// adds the request's fingerprint (keyRequest) once it has read the body. A
// malformed key is refused before the body is read.
func (s *Server) idempotent(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		vs := r.Header.Values("Idempotency-Key")
		if len(vs) == 0 {
			h(w, r)
			return
		}
		if len(vs) > 1 || !damask.ValidIdempotencyKey(vs[0]) {
			s.fail(w, r, damask.Errorf(damask.EINVALID,
				"Idempotency-Key must be one value of 1 to %d printable ASCII characters", damask.MaxIdempotencyKey))
			return
		}
		k := &damask.IdempotencyKey{Key: vs[0]}
		h(w, r.WithContext(damask.WithIdempotencyKey(r.Context(), k)))
	}
}

// keyRequest sets the fingerprint of the request on its Idempotency-Key,
// if it has one: the method, the path (without the format's extension,
// so that a retry may ask for another format), the fields of the body
// whatever their encoding, and the file's name and SHA-256. A retry must
// match it to be answered again.
func keyRequest(r *http.Request, fields body, f *library.StoredFile) {
	k := damask.IdempotencyKeyFrom(r.Context())
	if k == nil {
		return
	}
	h := sha256.New()
	put := func(s string) { putString(h, s) }
	put(r.Method)
	put(r.URL.Path)
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		put(n)
		put(fields[n])
	}
	if f != nil {
		put("\x00file")
		put(f.Filename)
		put(f.Blob.Ref.String())
	}
	h.Sum(k.Request[:0])
}

// putString writes s with its length first, so that no two lists of
// strings hash alike.
func putString(h hash.Hash, s string) {
	h.Write(binary.AppendUvarint(nil, uint64(len(s))))
	h.Write([]byte(s))
}
