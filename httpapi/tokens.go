package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"damask"
	"damask/library"
)

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.svc.Tokens(r.Context(), caller(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]node, len(ts))
	for i, t := range ts {
		items[i] = tokenDoc(t)
	}
	s.list(w, r, "tokens", items, len(ts), damask.Page{Number: 1, Size: max(len(ts), 1)})
}

// createToken answers the new token with its secret as the field token:
// the only time the secret is shown. A replay of the create (the same
// Idempotency-Key) answers the token without it.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r, tokenResource, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, err := tokenInput(b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, secret, replayed, err := s.svc.CreateToken(r.Context(), caller(r), in, requestKey(r, b, nil))
	replay(w, replayed)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	doc := tokenDoc(t)
	if secret != "" { // empty on a replay: the secret is shown once and never kept
		doc.kids = append(doc.kids, str("token", secret))
	}
	s.created(w, r, "/api/tokens/"+strconv.FormatInt(t.ID, 10), doc)
}

// tokenInput reads name, read_only and the expiry: expires_on (RFC 3339)
// or expires_in_days from now, not both.
func tokenInput(b body) (library.TokenInput, error) {
	in := library.TokenInput{Name: b["name"]}
	ro, err := b.boolPtr("read_only")
	if err != nil {
		return in, err
	}
	in.ReadOnly = ro != nil && *ro
	on, days := strings.TrimSpace(b["expires_on"]), strings.TrimSpace(b["expires_in_days"])
	switch {
	case on != "" && days != "":
		return in, damask.Errorf(damask.EINVALID, "Send expires_on or expires_in_days, not both")
	case on != "":
		if in.ExpiresAt, err = time.Parse(time.RFC3339, on); err != nil {
			return in, damask.Errorf(damask.EINVALID, "expires_on must be a time as 2030-01-31T12:00:00Z")
		}
	case days != "":
		if in.ExpiresInDays, err = strconv.Atoi(days); err != nil || in.ExpiresInDays < 1 {
			return in, damask.Errorf(damask.EINVALID, "expires_in_days must be a whole number of days from 1")
		}
	}
	return in, nil
}

func (s *Server) showToken(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.Token, tokenDoc)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.RevokeToken, tokenDoc)
}
