package httpapi

import (
	"net/http"
	"strings"

	"damask"
	"damask/library"
)

// The account's OpenID Connect settings, for its holder: the same as
// `damask account oidc` on the command line. The client secret is written,
// never read back.

var oidcResource = resource{"oidc",
	fields("issuer", "client_id", "client_secret", "domains", "auto_create"),
	fields("updated_on")}

func oidcDoc(c *damask.OIDCConfig) node {
	domains := make([]node, len(c.Domains))
	for i, d := range c.Domains {
		domains[i] = str("domain", d)
	}
	return record("oidc",
		str("issuer", c.Issuer),
		str("client_id", c.ClientID),
		array("domains", domains),
		strOrNil("auto_create", string(c.AutoCreate)),
		datetime("updated_on", c.UpdatedAt),
	)
}

func (s *Server) showOIDC(w http.ResponseWriter, r *http.Request) {
	cfg, err := s.svc.AccountOIDC(r.Context(), caller(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, oidcDoc(cfg))
}

func (s *Server) updateOIDC(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r, oidcResource, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	o := library.OIDCSettings{Issuer: b["issuer"], ClientID: b["client_id"], ClientSecret: b["client_secret"],
		Domains: strings.Split(b["domains"], ","), AutoCreate: b["auto_create"]}
	c := caller(r)
	if err := s.svc.SetAccountOIDC(r.Context(), c, o); err != nil {
		s.fail(w, r, err)
		return
	}
	s.showOIDC(w, r)
}

func (s *Server) deleteOIDC(w http.ResponseWriter, r *http.Request) {
	cfg, err := s.svc.DisableAccountOIDC(r.Context(), caller(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, oidcDoc(cfg))
}
