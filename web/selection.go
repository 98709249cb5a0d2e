package web

import (
	"archive/zip"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"

	"damask"
	"damask/download"
	"damask/library"
)

// selection acts on the assets chosen in the library: tag, untag, delete
// or download them as one zip.
func (s *Server) selection(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	var ids []int64
	for _, v := range r.PostForm["ids"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		s.fail(w, r, damask.Errorf(damask.EINVALID, "Select one or more assets first"))
		return
	}
	action := r.PostForm.Get("action")
	if action == "download" {
		s.zip(w, r, c, ids)
		return
	}
	back := r.PostForm.Get("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		back = "/"
	}
	var err error
	switch action {
	case "delete":
		err = s.svc.DeleteAssets(r.Context(), c, ids)
	case "tag", "untag":
		err = s.svc.TagAssets(r.Context(), c, ids, r.PostForm.Get("tag"), action == "tag")
	case "collect":
		// A new collection of the selection, opened at once.
		title := r.PostForm.Get("title")
		var col *damask.Collection
		col, _, err = s.svc.CreateCollection(r.Context(), c, library.CollectionInput{Title: &title, AssetIDs: idList(ids)}, damask.IdempotencyKey{})
		if err == nil {
			back = collectionURL(col.ID)
		}
	case "uncollect":
		var col int64
		if col, err = strconv.ParseInt(r.PostForm.Get("collection"), 10, 64); err != nil {
			err = damask.Errorf(damask.EMALFORMED, "No such collection")
			break
		}
		_, err = s.svc.UpdateCollection(r.Context(), c, col, library.CollectionInput{RemoveAssetIDs: idList(ids)})
	default:
		err = damask.Errorf(damask.EMALFORMED, "No such action")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// idList writes ids as the service reads a client's list.
func idList(ids []int64) *string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	list := strings.Join(s, ",")
	return &list
}

// zip streams the current files of the assets as one zip archive, file by
// file from the blob store into the response: nothing is held whole. The
// answer starts with the first file, so that a role that may not download,
// or a selection over the limit, gets an error page, not a broken archive.
func (s *Server) zip(w http.ResponseWriter, r *http.Request, c library.Caller, ids []int64) {
	var zw *zip.Writer
	used := map[string]int{}
	err := s.svc.ZipFiles(r.Context(), c, ids, func(d *library.Download) error {
		if zw == nil {
			h := w.Header()
			h.Set("Content-Type", "application/zip")
			h.Set("Content-Disposition", download.Attachment("damask-selection.zip"))
			h.Set("Cache-Control", "no-store")
			zw = zip.NewWriter(w)
		}
		return addToZip(zw, d, used)
	})
	switch {
	case err != nil && zw == nil:
		s.fail(w, r, err)
	case err != nil:
		// The answer has begun: end it broken, so that the browser
		// reports a failed download rather than a short archive.
		s.log.Error("zip download", "err", err)
		panic(http.ErrAbortHandler)
	default:
		if err := zw.Close(); err != nil {
			s.log.Error("zip download", "err", err)
		}
	}
}

// addToZip writes one file under a name not used yet in the archive.
func addToZip(zw *zip.Writer, d *library.Download, used map[string]int) error {
	name := d.Version.Filename
	if name == "" {
		name = fmt.Sprintf("asset-%d", d.Asset.ID)
	}
	if n := used[name]; n > 0 {
		ext := path.Ext(name)
		name = fmt.Sprintf("%s (%d)%s", strings.TrimSuffix(name, ext), n+1, ext)
	}
	used[d.Version.Filename]++
	// Media are compressed already: store them as they are.
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: d.Version.CreatedAt})
	if err != nil {
		return fmt.Errorf("zip entry %s: %w", name, err)
	}
	if _, err := io.Copy(fw, d.Body); err != nil {
		return fmt.Errorf("zip copy %s: %w", name, err)
	}
	return nil
}
