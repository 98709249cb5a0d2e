package httpapi

import (
	"net/http"
	"strconv"

	"damask"
	"damask/library"
)

// Unpacking a zip archive into assets: unpack=true on POST /api/upload
// (multipart or raw) and on POST /api/assets (a file or an upload_id).

// unpackFields are the fields an unpack takes besides the archive.
var unpackFields = []string{"unpack", "path", "path_tags"}

// unpackInput reads unpack, path, path_tags, tags and description; on
// is false when the request does not ask for an unpack.
func unpackInput(b body) (in library.UnpackInput, on bool, err error) {
	u, err := b.boolPtr("unpack")
	if err != nil || u == nil || !*u {
		return in, false, err
	}
	pt, err := b.boolPtr("path_tags")
	if err != nil {
		return in, false, err
	}
	in.PathTags = pt != nil && *pt
	in.Path = b["path"]
	in.Tags, in.Description = b.ptr("tags"), b.ptr("description")
	return in, true, nil
}

// queryBody is the fields of a raw upload, from its query string.
func queryBody(r *http.Request, res resource) body {
	b := body{}
	for k, vs := range r.URL.Query() {
		if name, ok := fieldName(k, res); ok && res.writable[name] {
			b[name] = vs[len(vs)-1]
		}
	}
	return b
}

// unpack answers the report of an unpack: 201 with Location at the first
// asset when it made any, else 200 (every file was skipped).
func (s *Server) unpack(w http.ResponseWriter, r *http.Request, in library.UnpackInput) {
	rep, err := s.svc.Unpack(r.Context(), caller(r), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	doc := unpackDoc(r, rep, in.UploadID)
	if len(rep.Assets) == 0 {
		s.reply(w, r, http.StatusOK, doc)
		return
	}
	s.created(w, r, "/api/assets/"+strconv.FormatInt(rep.Assets[0].ID, 10), doc)
}

// unpackDoc is the report of an unpack: the assets made, in the
// archive's order, and the files skipped with the reason.
func unpackDoc(r *http.Request, rep *library.UnpackReport, uploadID int64) node {
	assets := make([]node, len(rep.Assets))
	for i, a := range rep.Assets {
		assets[i] = assetOf(r, a)
	}
	skipped := make([]node, len(rep.Skipped))
	for i, e := range rep.Skipped {
		id := optInteger("asset_id", int64(e.AssetID))
		skipped[i] = record("entry", str("name", e.Name), str("reason", e.Reason), id)
	}
	upload := optInteger("upload_id", int64(uploadID))
	return record("unpack",
		str("archive", rep.Archive),
		upload,
		integer("files", int64(rep.Files)),
		integer("assets_count", int64(len(rep.Assets))),
		integer("skipped_count", int64(len(rep.Skipped))),
		array("assets", assets),
		array("skipped", skipped),
	)
}

// noUnpack refuses unpack=true where it means nothing.
func noUnpack(b body) error {
	if _, on, err := unpackInput(b); err != nil || on {
		if err != nil {
			return err
		}
		return damask.Errorf(damask.EINVALID, "unpack=true makes new assets: send it with POST /api/upload or POST /api/assets")
	}
	return nil
}
