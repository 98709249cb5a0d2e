package httpapi

import (
	"net/http"
	"strconv"

	"damask"
	"damask/httpdomain"
	"damask/library"
)

// Stages: /api/stages, one Stage, and its access log.

func (s *Server) listStages(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, "stages", s.svc.Stages, func(st *damask.Stage) node { return stageOf(r, st) })
}

func (s *Server) showStage(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.Stage, func(st *damask.Stage) node { return stageOf(r, st) })
}

// stageInput reads a Stage's fields from the body; recipients are a list
// (an array, or text separated by commas or spaces).
func stageInput(r *http.Request) (library.StageInput, body, error) {
	b, err := readBody(r, stageResource, nil)
	if err != nil {
		return library.StageInput{}, nil, err
	}
	return library.StageInput{
		Title:             b.ptr("title"),
		Message:           b.ptr("message"),
		CollectionID:      b.ptr("collection_id"),
		Password:          b.ptr("password"),
		ExpiresOn:         b.ptr("expires_on"),
		Downloads:         b.ptr("downloads"),
		Watermark:         b.ptr("watermark"),
		WatermarkPosition: b.ptr("watermark_position"),
		WatermarkOpacity:  b.ptr("watermark_opacity"),
		Recipients:        b.ptr("recipients"),
		Base:              info(r).public,
	}, b, nil
}

func (s *Server) createStage(w http.ResponseWriter, r *http.Request) {
	create(s, w, r, stageInput, s.svc.CreateStage, func(st *damask.Stage) string { return "/api/stages/" + strconv.FormatInt(st.ID, 10) }, func(st *damask.Stage) node { return stageOf(r, st) })
}

func (s *Server) updateStage(w http.ResponseWriter, r *http.Request) {
	updateByID(s, w, r, stageInput, s.svc.UpdateStage, func(st *damask.Stage) node { return stageOf(r, st) })
}

// revokeStage is DELETE: the Stage is revoked, and kept with its log.
func (s *Server) revokeStage(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.RevokeStage, func(st *damask.Stage) node { return stageOf(r, st) })
}

func (s *Server) stageLog(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := pageOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	log, total, err := s.svc.StageLog(r.Context(), caller(r), id, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]node, len(log))
	for i, a := range log {
		items[i] = accessDoc(a)
	}
	s.list(w, r, "accesses", items, total, p)
}

// stageOf is the document of a Stage of the request's account: its
// addresses under the public base of the account's links.
func stageOf(r *http.Request, st *damask.Stage) node {
	return stageDoc(st, info(r).public)
}

// stageDoc is a Stage; public is where its addresses go. The password is
// never shown, only whether there is one.
func stageDoc(st *damask.Stage, public string) node {
	rs := make([]node, len(st.Recipients))
	for i, rc := range st.Recipients {
		rs[i] = record("recipient", str("email", rc.Email), str("url", public+library.StageAddress(rc.Token)))
	}
	col := optInteger("collection_id", int64(st.CollectionID))
	return record("stage",
		integer("id", st.ID),
		str("title", st.Title),
		str("message", st.Message),
		col,
		str("url", public+library.StageAddress(st.Token)),
		boolean("has_password", st.PasswordHash != ""),
		datetime("expires_on", st.ExpiresAt),
		str("downloads", st.Downloads),
		str("watermark", st.Watermark),
		str("watermark_position", watermarkPosition(st)),
		integer("watermark_opacity", int64(watermarkOpacity(st))),
		array("recipients", rs),
		integer("views_count", int64(st.ViewsCount)),
		integer("downloads_count", int64(st.DownloadsCount)),
		datetime("created_on", st.CreatedAt),
		datetime("updated_on", st.UpdatedAt),
		datetime("revoked_on", st.RevokedAt),
	)
}

// accessDoc is one line of a Stage's access log: when, who (a
// recipient's e-mail, or null for the Stage's own address), from where,
// and what was seen or downloaded.
func accessDoc(a *damask.StageAccess) node {
	asset := optInteger("asset_id", int64(a.AssetID))
	return record("access",
		integer("id", a.ID),
		datetime("created_on", a.At),
		strOrNil("recipient", a.Recipient),
		str("address", a.Address),
		str("action", a.Action),
		asset,
		str("what", a.What),
	)
}

// watermarkPosition and watermarkOpacity are a Stage's, defaults filled in.
func watermarkPosition(st *damask.Stage) string {
	if st.WatermarkPosition == "" {
		return damask.WatermarkCenter
	}
	return st.WatermarkPosition
}

func watermarkOpacity(st *damask.Stage) int {
	if st.WatermarkOpacity <= 0 {
		return damask.DefaultWatermarkOpacity
	}
	return st.WatermarkOpacity
}
