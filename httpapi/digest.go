package httpapi

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"hash"
	"io"
	"net/http"
	"strings"

	"damask"
	"damask/httpdomain"
)

// A client may send a checksum of the request's body, as Content-Digest
// (RFC 9530: sha-256=:BASE64:) or Content-MD5 (RFC 1864: BASE64), so that
// a body damaged on the way is refused rather than stored. The body is
// hashed as it streams; a mismatch is an error in place of the end of the
// body, which the file's copy meets before the file is kept (for a
// multipart body, the part's end reads the rest of the body first, see
// checkedFile).

// digestBody hashes a request body and, at its end, compares the sums
// the client sent.
type digestBody struct {
	body   io.ReadCloser
	checks []digestCheck
	// Once the body has been read to its end by finish, what remained
	// is served from rest.
	rest *bytes.Reader
	done bool
	err  error // the mismatch, answered in place of io.EOF
}

type digestCheck struct {
	header string
	h      hash.Hash
	want   []byte
}

// maxDigestRest is how much of a multipart body may follow the file, read
// ahead to check the body's sum before the file is kept: the closing
// boundary and form fields.
const maxDigestRest = maxFormBody + 64<<10

// checkDigest wraps r.Body in a digestBody when the request carries
// Content-Digest with sha-256 or Content-MD5, and answers EMALFORMED for
// such a header that cannot be read. Digests of other algorithms alone are
// ignored, as RFC 9530 lets a recipient do. Beneath, the body of a file is
// marked at its limit (httpdomain.MarkLimit), for the service.
func checkDigest(r *http.Request) error {
	r.Body = httpdomain.MarkLimit(r.Body)
	var checks []digestCheck
	if vs := r.Header.Values("Content-Digest"); len(vs) > 0 {
		want, found, err := parseContentDigest(strings.Join(vs, ","))
		if err != nil {
			return err
		}
		if found {
			checks = append(checks, digestCheck{"Content-Digest", sha256.New(), want})
		}
	}
	if vs := r.Header.Values("Content-MD5"); len(vs) > 0 {
		want, err := base64.StdEncoding.DecodeString(strings.TrimSpace(vs[0]))
		if len(vs) > 1 || err != nil || len(want) != md5.Size {
			return damask.Errorf(damask.EMALFORMED, "Content-MD5 must be one base64 MD5 sum of the body")
		}
		checks = append(checks, digestCheck{"Content-MD5", md5.New(), want})
	}
	if len(checks) > 0 {
		r.Body = &digestBody{body: r.Body, checks: checks}
	}
	return nil
}

// parseContentDigest finds the sha-256 member of a Content-Digest
// dictionary (sha-256=:BASE64:, other members ignored).
func parseContentDigest(v string) (sum []byte, found bool, err error) {
	bad := damask.Errorf(damask.EMALFORMED, "Content-Digest must be a list of algorithm=:base64:, as in sha-256=:BASE64:")
	for _, member := range strings.Split(v, ",") {
		member = strings.TrimSpace(member)
		if member == "" {
			continue
		}
		alg, val, ok := strings.Cut(member, "=")
		if !ok {
			return nil, false, bad
		}
		if strings.TrimSpace(alg) != "sha-256" {
			continue
		}
		val = strings.TrimSpace(val)
		if len(val) < 2 || val[0] != ':' || val[len(val)-1] != ':' {
			return nil, false, bad
		}
		b, err := base64.StdEncoding.DecodeString(val[1 : len(val)-1])
		if err != nil || len(b) != sha256.Size || found {
			return nil, false, damask.Errorf(damask.EMALFORMED, "Content-Digest must hold one sha-256 sum of the body in base64")
		}
		sum, found = b, true
	}
	return sum, found, nil
}

func (d *digestBody) Read(p []byte) (int, error) {
	if d.done {
		if d.rest != nil && d.rest.Len() > 0 {
			return d.rest.Read(p)
		}
		if d.err != nil {
			return 0, d.err
		}
		return 0, io.EOF
	}
	n, err := d.body.Read(p)
	for _, c := range d.checks {
		c.h.Write(p[:n])
	}
	if err == io.EOF {
		d.done = true
		d.err = d.verify()
		if d.err != nil {
			return n, d.err
		}
	}
	return n, err
}

func (d *digestBody) Close() error { return d.body.Close() }

// verify compares the sums of what was read with the client's.
func (d *digestBody) verify() error {
	for _, c := range d.checks {
		if subtle.ConstantTimeCompare(c.h.Sum(nil), c.want) != 1 {
			return damask.Errorf(damask.EMALFORMED, "The body does not match its %s: it was damaged on the way; nothing was stored", c.header)
		}
	}
	return nil
}

// finish reads the rest of the body (at most maxDigestRest bytes), keeping
// it for the reads that follow, and answers the comparison of the sums.
func (d *digestBody) finish() error {
	if d.done {
		return d.err
	}
	var buf bytes.Buffer
	tee := io.TeeReader(io.LimitReader(d.body, maxDigestRest+1), &buf)
	hs := make([]io.Writer, 0, len(d.checks))
	for _, c := range d.checks {
		hs = append(hs, c.h)
	}
	if _, err := io.Copy(io.MultiWriter(hs...), tee); err != nil {
		d.done, d.err = true, err
		return err
	}
	if buf.Len() > maxDigestRest {
		d.done = true
		d.err = damask.Errorf(damask.ETOOLARGE, "The form fields are larger than %d bytes", maxFormBody)
		return d.err
	}
	d.done, d.rest = true, bytes.NewReader(buf.Bytes())
	d.err = d.verify()
	return d.err
}

// checkedFile is a multipart file part whose end, when the request carries
// a checksum, reads the rest of the body and compares the sums: a mismatch
// comes in place of the file's end, before the file is kept.
type checkedFile struct {
	part io.Reader
	body *digestBody
}

func fileOf(r *http.Request, part io.Reader) io.Reader {
	if d, ok := r.Body.(*digestBody); ok {
		return checkedFile{part, d}
	}
	return part
}

func (f checkedFile) Read(p []byte) (int, error) {
	n, err := f.part.Read(p)
	if errors.Is(err, io.EOF) {
		if ferr := f.body.finish(); ferr != nil {
			return n, ferr
		}
	}
	return n, err
}
