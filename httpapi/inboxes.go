package httpapi

import (
	"net/http"
	"strconv"

	"damask"
	"damask/httpdomain"
	"damask/library"
)

// Inboxes: /api/inboxes, the public upload forms (plans with Stages).

// inboxDoc is an Inbox of the request's account; its url is on the
// account's public base, as public links are.
func inboxDoc(r *http.Request, b *damask.Inbox) node {
	return record("inbox",
		integer("id", b.ID),
		str("title", b.Title),
		str("message", b.Message),
		str("url", info(r).public+httpdomain.InboxPath+b.Token),
		boolean("has_password", b.PasswordHash != ""),
		datetime("expires_on", b.ExpiresAt),
		str("tags", b.Tags),
		integer("max_file_size", b.MaxFileSize),
		integer("max_files", int64(b.MaxFiles)),
		integer("uploads_count", int64(b.UploadsCount)),
		datetime("created_on", b.CreatedAt),
		datetime("updated_on", b.UpdatedAt),
		datetime("revoked_on", b.RevokedAt),
	)
}

func (s *Server) listInboxes(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, "inboxes", s.svc.Inboxes, func(b *damask.Inbox) node { return inboxDoc(r, b) })
}

func (s *Server) showInbox(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.Inbox, func(b *damask.Inbox) node { return inboxDoc(r, b) })
}

// inboxInput reads an Inbox's fields from the body.
func inboxInput(r *http.Request) (library.InboxInput, body, error) {
	b, err := readBody(r, inboxResource, nil)
	if err != nil {
		return library.InboxInput{}, nil, err
	}
	return library.InboxInput{
		Title:       b.ptr("title"),
		Message:     b.ptr("message"),
		Password:    b.ptr("password"),
		ExpiresOn:   b.ptr("expires_on"),
		Tags:        b.ptr("tags"),
		MaxFileSize: b.ptr("max_file_size"),
		MaxFiles:    b.ptr("max_files"),
	}, b, nil
}

func (s *Server) createInbox(w http.ResponseWriter, r *http.Request) {
	create(s, w, r, inboxInput, s.svc.CreateInbox, func(b *damask.Inbox) string { return "/api/inboxes/" + strconv.FormatInt(b.ID, 10) }, func(b *damask.Inbox) node { return inboxDoc(r, b) })
}

func (s *Server) updateInbox(w http.ResponseWriter, r *http.Request) {
	updateByID(s, w, r, inboxInput, s.svc.UpdateInbox, func(b *damask.Inbox) node { return inboxDoc(r, b) })
}

// revokeInbox is DELETE: the Inbox is revoked, not removed, so that its
// count and its time stay to be read; its address answers 410.
func (s *Server) revokeInbox(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.RevokeInbox, func(b *damask.Inbox) node { return inboxDoc(r, b) })
}
