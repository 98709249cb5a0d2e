package httpapi

import (
	"net/http"

	"damask/library"
)

// The account: GET and PUT /api/account.

func (s *Server) showAccount(w http.ResponseWriter, r *http.Request) {
	a, st, err := s.svc.Account(r.Context(), caller(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, accountDoc(a, s.svc.Plan(a), st, info(r).base))
}

func (s *Server) updateAccount(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r, accountResource, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ch := library.AccountChanges{CompanyName: b.ptr("company_name"), BillingEmail: b.ptr("billing_email"),
		Country: b.ptr("country"), Plan: planOf(b)}
	if ch.APIEnabled, err = b.boolPtr("api_enabled"); err == nil {
		if ch.PublicLinks, err = b.boolPtr("public_links"); err == nil {
			if ch.PublicThumbnails, err = b.boolPtr("public_thumbnails"); err == nil {
				ch.KeywordsToTags, err = b.boolPtr("keywords_to_tags")
			}
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, st, err := s.svc.UpdateAccount(r.Context(), caller(r), ch)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, accountDoc(a, s.svc.Plan(a), st, info(r).base))
}

// planOf gathers what b says of the account's plan (planFields).
func planOf(b body) []library.PlanSaid {
	var said []library.PlanSaid
	for _, f := range planFields {
		if v, ok := b[f.field]; ok {
			said = append(said, library.PlanSaid{Of: f.of, Value: v})
		}
	}
	return said
}
