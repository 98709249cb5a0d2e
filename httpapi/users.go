package httpapi

import (
	"net/http"
	"strconv"

	"damask/httpdomain"
	"damask/library"
)

// Users: /api/user, /api/users.

func (s *Server) currentUser(w http.ResponseWriter, r *http.Request) {
	s.reply(w, r, http.StatusOK, userDoc(caller(r).User))
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, "users", s.svc.Users, userDoc)
}

func (s *Server) showUser(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.User, userDoc)
}

func userChanges(b body) (library.UserChanges, error) {
	ch := library.UserChanges{Login: b.ptr("login"), Email: b.ptr("email"), FirstName: b.ptr("first_name"),
		LastName: b.ptr("last_name"), Role: b.ptr("role"), Password: b.ptr("password"), CollectionIDs: b.ptr("collection_ids")}
	var err error
	ch.Disabled, err = b.boolPtr("disabled")
	return ch, err
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r, userResource, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ch, err := userChanges(b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, replayed, err := s.svc.CreateUser(r.Context(), caller(r), ch, requestKey(r, b, nil))
	replay(w, replayed)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.created(w, r, "/api/users/"+strconv.FormatInt(u.ID, 10), userDoc(u))
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := readBody(r, userResource, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ch, err := userChanges(b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.svc.UpdateUser(r.Context(), caller(r), id, ch)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, userDoc(u))
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.DeleteUser, userDoc)
}
