package httpapi

import (
	"net/http"
	"strconv"

	"damask/httpdomain"
)

// Tags: /api/tags.

func (s *Server) listTags(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, "tags", s.svc.Tags, tagDoc)
}

func (s *Server) showTag(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.Tag, tagDoc)
}

// tagName reads the tag's name, sent as tag (fluxiom's name) or name.
func tagName(r *http.Request) (string, error) {
	b, err := readBody(r, tagResource, nil)
	if err != nil {
		return "", err
	}
	if v, ok := b["tag"]; ok {
		return v, nil
	}
	return b["name"], nil
}

func (s *Server) createTag(w http.ResponseWriter, r *http.Request) {
	name, err := tagName(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, replayed, err := s.svc.CreateTag(r.Context(), caller(r), name, requestKey(r, body{"tag": name}, nil))
	replay(w, replayed)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.created(w, r, "/api/tags/"+strconv.FormatInt(t.ID, 10), tagDoc(t))
}

func (s *Server) updateTag(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name, err := tagName(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.svc.RenameTag(r.Context(), caller(r), id, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, tagDoc(t))
}

func (s *Server) deleteTag(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.DeleteTag, tagDoc)
}
