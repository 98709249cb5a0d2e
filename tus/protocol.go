// Package tus serves resumable uploads by the tus 1.0 protocol
// (https://tus.io/protocols/resumable-upload), for both HTTP faces: the API
// at /api/uploads/tus/ (Basic auth or a token) and the web pages at
// /uploads/tus/ (a session and the X-CSRF-Token header). Each face checks
// who asks and hands the request here with its library.Caller; each
// request is one call of the library (CreateResumable, Resumable,
// WriteResumable, DeleteResumable), which keeps the rules.
//
// Extensions: creation, creation-with-upload, termination, checksum
// (sha256 only) and expiration. Our own handler rather than tusd's
// (github.com/tus/tusd/v2, v2.9.1): tusd has no checksum extension, and its
// stores keep a file under their own name (filestore: a file of its own
// folder; s3store: an object of its own key), so a finished upload would be
// read again and written under its SHA-256, a second copy of every byte
// (measured in bench_test.go: BenchmarkTusUpload's second_copy/tus). Here
// each piece is appended to the blob store's partial file and made
// durable (disk: fsynced; S3: a segment object), and the complete file is
// renamed (disk) or composed on the S3 side into place.
package tus

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"damask"
)

// Version is the protocol version served.
const Version = "1.0.0"

// Extensions are the extensions served, for Tus-Extension.
const Extensions = "creation,creation-with-upload,termination,checksum,expiration"

// ChecksumAlgorithms are the algorithms of Upload-Checksum served.
const ChecksumAlgorithms = "sha256"

// Limits of the metadata: the header as a whole, and the number of keys.
const (
	maxMetadata     = 16 << 10
	maxMetadataKeys = 32
)

// ParseMetadata reads Upload-Metadata: comma-separated pairs of a key and
// a base64 value, or a key alone (an empty value). Keys are unique,
// printable ASCII without spaces or commas.
func ParseMetadata(h string) (map[string]string, error) {
	m := map[string]string{}
	if strings.TrimSpace(h) == "" {
		return m, nil
	}
	if len(h) > maxMetadata {
		return nil, damask.Errorf(damask.EMALFORMED, "Upload-Metadata is too long (at most %d bytes)", maxMetadata)
	}
	for pair := range strings.SplitSeq(h, ",") {
		pair = strings.TrimSpace(pair)
		key, value, _ := strings.Cut(pair, " ")
		if key == "" || strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r > '~' }) {
			return nil, damask.Errorf(damask.EMALFORMED, "Upload-Metadata has a bad key")
		}
		if _, dup := m[key]; dup {
			return nil, damask.Errorf(damask.EMALFORMED, "Upload-Metadata has the key %s twice", key)
		}
		if len(m) == maxMetadataKeys {
			return nil, damask.Errorf(damask.EMALFORMED, "Upload-Metadata has too many keys (at most %d)", maxMetadataKeys)
		}
		v, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
		if err != nil {
			return nil, damask.Errorf(damask.EMALFORMED, "Upload-Metadata's value of %s is not base64", key)
		}
		m[key] = string(v)
	}
	return m, nil
}

// Meta reads the keys Damask knows from the metadata: filename (or name,
// which tus-js-client's examples send), title, tags, asset_id, unpack,
// path, path_tags, asset. Unknown keys are ignored (clients send their own, such as
// filetype). A title, tags, unpack, a path, an asset_id or asset=true
// make an asset of the file once it is complete; without any, it stays
// an Upload for a later POST /api/assets with upload_id.
func Meta(m map[string]string) (damask.ResumableMeta, error) {
	var r damask.ResumableMeta
	r.Filename = m["filename"]
	if r.Filename == "" {
		r.Filename = m["name"]
	}
	r.Title, r.Tags, r.Path = m["title"], m["tags"], m["path"]
	if v, ok := m["asset_id"]; ok {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return r, damask.Errorf(damask.EINVALID, "asset_id must be an asset's id")
		}
		r.AssetID = id
	}
	for _, f := range []struct {
		key string
		to  *bool
	}{{"unpack", &r.Unpack}, {"path_tags", &r.PathTags}} {
		if v, ok := m[f.key]; ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return r, damask.Errorf(damask.EINVALID, "%s must be true or false", f.key)
			}
			*f.to = b
		}
	}
	r.Asset = r.Title != "" || r.Tags != "" || r.Unpack || r.Path != "" || r.AssetID != 0 || m["asset"] == "true"
	return r, nil
}

// errChecksumAlgorithm is the answer to an algorithm not served (400, as
// the checksum extension asks).
var errChecksumAlgorithm = errors.New("unsupported checksum algorithm")

// ParseChecksum reads Upload-Checksum: an algorithm name, a space and the
// base64 of the sum. Only sha256 is served.
func ParseChecksum(h string) ([]byte, error) {
	alg, sum, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		return nil, damask.Errorf(damask.EMALFORMED, "Upload-Checksum must be an algorithm and a base64 sum")
	}
	if alg != "sha256" {
		return nil, &damask.Error{Code: damask.EMALFORMED, Message: "Upload-Checksum's algorithm must be sha256", Err: errChecksumAlgorithm}
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sum))
	if err != nil || len(b) != 32 {
		return nil, damask.Errorf(damask.EMALFORMED, "Upload-Checksum's sum must be the base64 of 32 bytes")
	}
	return b, nil
}
