package web

import (
	"archive/zip"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"damask"
	"damask/download"
	"damask/library"
)

// selection acts on the assets chosen in the library: tag, untag, delete,
// edit, make a collection of, or download them as one zip. The choice is
// the ticked boxes (ids), or with scope=query every asset of the search
// the form carries (q, tags, sort): "select all N results", which the
// library resolves. select-all only turns the latter on, by going back to
// the page with all=1, so that it works without JavaScript.
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
	back := localPath(r.PostForm.Get("back"))
	action, tag, title := r.PostForm.Get("action"), r.PostForm.Get("tag"), r.PostForm.Get("title")
	sel := damask.Selection{IDs: ids}
	if r.PostForm.Get("scope") == "query" {
		sel = damask.Selection{Query: &damask.SelectionQuery{Query: r.PostForm.Get("q"), Tags: r.PostForm.Get("tags"), Sort: r.PostForm.Get("sort")}}
	}
	var err error
	msg := ""
	n := len(ids)
	switch {
	case action == "select-all":
		s.redirect(w, r, withAll(back), flash{})
		return
	case action == "download":
		if err = s.zip(w, r, c, sel); err == nil {
			return
		}
	case action == "delete":
		n, err = s.svc.DeleteSelection(r.Context(), c, sel)
		msg = s.trn(r, n, "%d asset moved to the trash.", "%d assets moved to the trash.")
	case action == "tag" || action == "untag":
		n, err = s.svc.TagSelection(r.Context(), c, sel, tag, action == "tag")
		if action == "tag" {
			msg = s.trn(r, n, "Tagged %d asset with %s.", "Tagged %d assets with %s.", strings.TrimSpace(tag))
		} else {
			msg = s.trn(r, n, "Took %[2]s off %[1]d asset.", "Took %[2]s off %[1]d assets.", strings.TrimSpace(tag))
		}
	case action == "edit":
		n, err = s.svc.EditSelection(r.Context(), c, sel, bulkEdit(r.PostForm))
		msg = s.trn(r, n, "Edited %d asset.", "Edited %d assets.")
	case action == "collect":
		// A new collection of the selection, opened at once.
		var col *damask.Collection
		col, n, err = s.svc.CollectSelection(r.Context(), c, title, sel)
		if err == nil {
			back, msg = collectionURL(col.ID), madeCollection(s.lang(r), col, n)
		}
	case n == 0:
		err = damask.Errorf(damask.EINVALID, "Select one or more assets first")
	case action == "uncollect":
		var collection int64
		if collection, err = strconv.ParseInt(r.PostForm.Get("collection"), 10, 64); err != nil {
			err = damask.Errorf(damask.EMALFORMED, "No such collection")
			break
		}
		var col *damask.Collection
		col, err = s.svc.UpdateCollection(r.Context(), c, collection, library.CollectionInput{RemoveAssetIDs: idList(ids)})
		if err == nil {
			msg = s.trn(r, n, "Took %d asset out of the collection %q; it is still in the library.",
				"Took %d assets out of the collection %q; they are still in the library.", col.Title)
		}
	default:
		err = damask.Errorf(damask.EMALFORMED, "No such action")
	}
	switch {
	case err == nil:
		s.redirect(w, r, back, flash{Message: msg})
	case formError(err):
		// The page the form was on comes back, boxes ticked and the
		// tag or the title typed kept: a collection's, or the library
		// as it was.
		u, _ := url.Parse(back)
		var q url.Values
		if u != nil {
			q = u.Query()
			if id, ok := strings.CutPrefix(u.Path, "/collections/"); ok {
				if col, perr := strconv.ParseInt(id, 10, 64); perr == nil && col > 0 {
					s.showCollection(w, r, c, r.PostForm.Get("csrf"), col, q.Get("cursor"), formStatus(err), failedForm(err, nil, nil), ids)
					return
				}
			}
		}
		labels := map[string]string{"Tag": "tag", "Tags": "tag", "Type the tags": "tag", "An asset carries": "tag", "One request makes": "tag"}
		switch action {
		case "collect":
			labels = map[string]string{"Title": "title"}
		case "edit":
			labels = map[string]string{"Title": "edit_title", "Description": "edit_description", "Path": "edit_path", "Folder": "edit_path",
				"Tag": "edit_add_tags", "Tags": "edit_add_tags", "An asset carries": "edit_add_tags", "One request makes": "edit_add_tags"}
		}
		values := url.Values{"tag": {tag}, "title": {title}, "action": {action}}
		for _, k := range editFields {
			values[k] = r.PostForm[k]
		}
		f := failedForm(err, values, labels)
		p := readListValues(q)
		p.All = sel.Query != nil
		s.showLibrary(w, r, c, r.PostForm.Get("csrf"), p, formStatus(err), f, ids)
	default:
		s.fail(w, r, err)
	}
}

// editFields are the fields of the bulk edit, kept when it is refused.
var editFields = []string{"edit_title", "edit_description", "edit_description_mode", "edit_add_tags", "edit_remove_tags", "edit_path"}

// bulkEdit reads the bulk edit form: a field left empty is left alone.
func bulkEdit(v url.Values) library.BulkEdit {
	e := library.BulkEdit{AddTags: v.Get("edit_add_tags"), RemoveTags: v.Get("edit_remove_tags"),
		AppendDescription: v.Get("edit_description_mode") == "append"}
	if t := v.Get("edit_title"); strings.TrimSpace(t) != "" {
		e.Title = &t
	}
	if d := v.Get("edit_description"); strings.TrimSpace(d) != "" {
		e.Description = &d
	}
	if p := v.Get("edit_path"); strings.TrimSpace(p) != "" {
		e.Path = &p
	}
	return e
}

// withAll is the local path to with all=1: the page with its search's
// every result selected.
func withAll(to string) string {
	u, err := url.Parse(to)
	if err != nil {
		return "/"
	}
	q := u.Query()
	q.Set("all", "1")
	u.RawQuery = q.Encode()
	return u.String()
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
// or a selection over the limit, gets an error (answered by the caller),
// not a broken archive.
func (s *Server) zip(w http.ResponseWriter, r *http.Request, c library.Caller, sel damask.Selection) error {
	var zw *zip.Writer
	used := map[string]int{}
	err := s.svc.ZipSelection(r.Context(), c, sel, func(d *library.Download) error {
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
		return err
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
	return nil
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
