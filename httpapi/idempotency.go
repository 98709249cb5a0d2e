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

// idempotent lets a create route take an Idempotency-Key: a malformed key
// is refused before the body is read. The handler then gives the service
// the key with the request's fingerprint (requestKey) once it has read the
// body, and says on its answer whether the service replayed (replay).
func (s *Server) idempotent(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		vs := r.Header.Values("Idempotency-Key")
		if len(vs) > 1 || len(vs) == 1 && !damask.ValidIdempotencyKey(vs[0]) {
			s.fail(w, r, damask.Errorf(damask.EINVALID,
				"Idempotency-Key must be one value of 1 to %d printable ASCII characters", damask.MaxIdempotencyKey))
			return
		}
		h(w, r)
	}
}

// requestKey is the request's Idempotency-Key (checked by idempotent),
// the zero key when it has none, with the fingerprint of the request: the
// method, the path (without the format's extension, so that a retry may
// ask for another format), the fields of the body whatever their
// encoding, and the file's name and SHA-256. A retry must match it to be
// answered again.
func requestKey(r *http.Request, fields body, f *library.StoredFile) damask.IdempotencyKey {
	k := damask.IdempotencyKey{Key: r.Header.Get("Idempotency-Key")}
	if k.Key == "" {
		return k
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
	return k
}

// replay marks the answer, success or error, of a create that the service
// answered from its Idempotency-Key's first request.
func replay(w http.ResponseWriter, replayed bool) {
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
}

// putString writes s with its length first, so that no two lists of
// strings hash alike.
func putString(h hash.Hash, s string) {
	h.Write(binary.AppendUvarint(nil, uint64(len(s))))
	h.Write([]byte(s))
}
