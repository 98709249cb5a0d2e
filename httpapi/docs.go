package httpapi

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"damask"
	"damask/download"
	"damask/library"
	"damask/media"
	"damask/search"
)

// The documents of API.md, built from domain values. Each is a node tree
// that writeXML and writeJSON turn into the wire formats; a field added here
// appears in both.

func accountDoc(a *damask.Account, p damask.Plan, st damask.AccountStats, base string) node {
	available := int64(0)
	if p.StorageLimit > 0 {
		available = max(p.StorageLimit-st.UsedSpace, 0)
	}
	b := a.Branding
	logo := ""
	if path := b.LogoPath(); path != "" && p.Branding {
		logo = base + path
	}
	return record("account",
		integer("id", a.ID),
		str("subdomain", a.Name),
		str("company_name", a.CompanyName),
		integer("account_holder_id", a.HolderID),
		str("billing_email", a.BillingEmail),
		str("country", a.Country),
		withAttrs(str("plan", a.Plan),
			boolean("ssl", p.SSL), boolean("stages", p.Stages), boolean("multiple_users", p.MultipleUsers),
			boolean("versions", p.Versions), boolean("branding", p.Branding), boolean("full_text_search", p.FullTextSearch)),
		boolean("branding", p.Branding && b != damask.Branding{}),
		record("branding_info",
			str("title", b.Title), str("font_color", b.FontColor), str("top_color", b.TopColor),
			str("bottom_color", b.BottomColor), strOrNil("logo", logo), datetime("updated", b.UpdatedAt)),
		boolean("trial", false),
		withAttrs(node{name: "stats", kind: kRecord},
			integer("used_space", st.UsedSpace), integer("available_space", available),
			integer("used_bandwidth", 0), integer("available_bandwidth", p.Bandwidth)),
		boolean("api_enabled", a.APIEnabled),
		boolean("public_links", a.PublicLinks),
		boolean("public_thumbnails", a.PublicThumbnails),
		boolean("keywords_to_tags", a.KeywordsToTags),
		integer("users_count", int64(st.UsersCount)),
		integer("assets_count", int64(st.AssetsCount)),
		datetime("created_on", a.CreatedAt),
		datetime("updated_on", a.UpdatedAt),
	)
}

func userDoc(u *damask.User) node {
	return record("user",
		integer("id", u.ID),
		str("login", u.Login),
		str("email", u.Email),
		str("first_name", u.FirstName),
		str("last_name", u.LastName),
		str("role", string(u.Role)),
		boolean("disabled", u.Disabled),
		boolean("collections_only", u.CollectionsOnly),
		array("collection_ids", collectionIDs(u.CollectionIDs)),
		datetime("created_on", u.CreatedAt),
		datetime("updated_on", u.UpdatedAt),
	)
}

func auditDoc(e *damask.AuditEvent) node {
	return record("event",
		integer("id", e.ID),
		str("action", e.Action),
		integer("user_id", e.UserID),
		str("target", e.Target),
		str("detail", e.Detail),
		str("source", e.Source),
		datetime("created_on", e.At),
	)
}

// tokenDoc is an API token, never with its hash; the secret is added to
// the answer of a create only.
func tokenDoc(t *damask.Token) node {
	return record("token",
		integer("id", t.ID),
		str("name", t.Name),
		str("prefix", t.Prefix),
		boolean("read_only", t.ReadOnly),
		integer("user_id", t.UserID),
		datetime("created_on", t.CreatedAt),
		datetime("expires_on", t.ExpiresAt),
		datetime("last_used_on", t.LastUsedAt),
		datetime("revoked_on", t.RevokedAt),
	)
}

// tagDoc is a tag with its count of assets twice: assets_count, and
// documents_count, fluxiom's name, by which its asset chooser hides the
// tags that have none.
func tagDoc(t *damask.Tag) node {
	return record("tag",
		integer("id", t.ID),
		str("tag", t.Name),
		integer("assets_count", int64(t.AssetsCount)),
		integer("documents_count", int64(t.AssetsCount)),
	)
}

// collectionIDs are the ids a guest is limited to.
func collectionIDs(ids []int64) []node {
	items := make([]node, len(ids))
	for i, id := range ids {
		items[i] = integer("collection_id", id)
	}
	return items
}

// collectionDoc is a collection; query is nil for an ordered set.
func collectionDoc(c *damask.Collection) node {
	return record("collection",
		integer("id", c.ID),
		str("title", c.Title),
		str("description", c.Description),
		strOrNil("query", c.Query),
		integer("assets_count", int64(c.AssetsCount)),
		datetime("created_on", c.CreatedAt),
		datetime("updated_on", c.UpdatedAt),
	)
}

// tagRef is a tag inside an asset: its id and name.
func tagRef(t damask.Tag) node {
	return record("tag", integer("id", t.ID), str("tag", t.Name))
}

// assetOf is the document of an asset of the request's account.
func assetOf(r *http.Request, a *damask.Asset) node {
	i := info(r)
	return assetDoc(a, i.account, i.base, i.public)
}

// assetDoc is an asset of the account; base is the scheme and host of the
// account, for the URLs in it, and public the same for its public_url (an
// operator's CDN, or base).
func assetDoc(a *damask.Asset, account *damask.Account, base, public string) node {
	tags := make([]node, len(a.Tags))
	for i, t := range a.Tags {
		tags[i] = tagRef(t)
	}
	id := strconv.FormatInt(a.ID, 10)
	m := a.Meta
	keywords := make([]node, len(m.Keywords))
	for i, k := range m.Keywords {
		keywords[i] = str("keyword", k)
	}
	// Known only once processing has read the file.
	alpha := null("metadata_alpha_channel", kBoolean)
	if a.Processing == damask.ProcessingDone || m.Type != "" {
		alpha = boolean("metadata_alpha_channel", m.AlphaChannel)
	}
	publicURL := null("public_url", kString)
	if tok := library.PublicToken(a); tok != "" {
		publicURL = str("public_url", public+"/p/"+tok)
	}
	return record("asset",
		integer("id", a.ID),
		str("title", a.Title),
		str("description", a.Description),
		str("path", a.Path),
		str("filename", a.Filename),
		str("content_type", a.ContentType),
		integer("size", a.Size),
		integer("version", int64(a.Version)),
		integer("user_id", a.UserID),
		datetime("created_on", a.CreatedAt),
		datetime("updated_on", a.UpdatedAt),
		array("tags", tags),
		renditionURL("thumb_url", a, account, base, "thumbnail", media.Thumb64),
		renditionURL("preview_url", a, account, base, "preview", media.Preview),
		publicURL,
		str("download_url", base+"/api/assets/download/"+id),
		str("sha256", a.Blob.String()),
		str("processing", a.Processing),
		strOrNil("processing_error", a.ProcessingError),
		str("metadata_type", cmp.Or(m.Type, a.ContentType)),
		intOrNil("metadata_pixel_width", a.PixelWidth),
		intOrNil("metadata_pixel_height", a.PixelHeight),
		// Types as fluxiom's documents had them: whole dots per inch, the
		// EXIF orientation (1-8) as text.
		intOrNil("metadata_resolution_width", int(math.Round(m.ResolutionWidth))),
		intOrNil("metadata_resolution_height", int(math.Round(m.ResolutionHeight))),
		intOrNil("metadata_bits_per_sample", m.BitsPerSample),
		strOrNil("metadata_color_space", m.ColorSpace),
		strOrNil("metadata_orientation", orientation(m.Orientation)),
		alpha,
		intOrNil("width", a.Width),
		intOrNil("height", a.Height),
		floatOrNil("duration", a.Duration.Seconds()),
		intOrNil("page_count", a.PageCount),
		strOrNil("camera", a.Camera),
		datetime("taken_at", a.TakenAt),
		gpsField("latitude", a.GPS, func(g *damask.GeoPoint) float64 { return g.Latitude }),
		gpsField("longitude", a.GPS, func(g *damask.GeoPoint) float64 { return g.Longitude }),
		strOrNil("lens", m.Lens),
		array("keywords", keywords),
		strOrNil("caption", m.Caption),
		strOrNil("creator", m.Creator),
		strOrNil("copyright", m.Copyright),
		strOrNil("xmp_title", m.Title),
		strOrNil("xmp_description", m.Description),
		strOrNil("video_codec", m.VideoCodec),
		strOrNil("audio_codec", m.AudioCodec),
	)
}

// renditionURL is the URL of an asset's rendition, nil when its file has
// none. It ends in _<px>.jpg with nothing after, which fluxiom's clients
// swap for another size (/_64.jpg$/ to _128.jpg); the content key of the
// current file comes just before, so that a URL answered with immutable
// caching never changes what it shows. Where the account has public
// thumbnails on, it is the capability URL /t/ID-SECRET/KEY_PX.jpg, which
// needs no credentials (library.ThumbCapability); else the API's
// /api/assets/ID/thumbnail/KEY_PX.jpg (or preview), which does.
func renditionURL(name string, a *damask.Asset, account *damask.Account, base, kind string, size media.Size) node {
	if a.Processing != damask.ProcessingPending && a.Processing != damask.ProcessingDone {
		return null(name, kString)
	}
	file := fmt.Sprintf("%s_%d.jpg", download.ContentKey(a), size.Px)
	if c := library.ThumbCapability(account, a); c != "" {
		return str(name, base+capabilityPrefix+c+"/"+file)
	}
	return str(name, fmt.Sprintf("%s/api/assets/%d/%s/%s", base, a.ID, kind, file))
}

// intOrNil is an integer that is nil when 0 (unknown).
func intOrNil(name string, v int) node {
	if v == 0 {
		return null(name, kInteger)
	}
	return integer(name, int64(v))
}

// orientation is the EXIF orientation as text, "" when unknown.
func orientation(o int) string {
	if o == 0 {
		return ""
	}
	return strconv.Itoa(o)
}

// floatOrNil is a number that is nil when 0 (unknown).
func floatOrNil(name string, v float64) node {
	if v == 0 {
		return null(name, kFloat)
	}
	return node{name: name, kind: kFloat, text: strconv.FormatFloat(v, 'f', -1, 64)}
}

func gpsField(name string, g *damask.GeoPoint, f func(*damask.GeoPoint) float64) node {
	if g == nil {
		return null(name, kFloat)
	}
	return node{name: name, kind: kFloat, text: strconv.FormatFloat(f(g), 'f', -1, 64)}
}

func versionDoc(v *damask.Version, assetID int64) node {
	return record("version",
		integer("id", v.ID),
		integer("number", int64(v.Number)),
		integer("asset_id", assetID),
		str("filename", v.Filename),
		str("content_type", v.ContentType),
		integer("size", v.Size),
		str("sha256", v.Blob.String()),
		str("comment", v.Comment),
		integer("user_id", v.UserID),
		datetime("created_on", v.CreatedAt),
	)
}

func uploadDoc(u *damask.Upload) node {
	return record("upload",
		integer("id", u.ID),
		str("filename", u.Filename),
		str("content_type", u.ContentType),
		integer("size", u.Size),
		str("sha256", u.Blob.String()),
		datetime("created_on", u.CreatedAt),
		datetime("expires_on", u.ExpiresAt),
	)
}

// facetsDoc counts a search's assets per tag and per type.
func facetsDoc(fc damask.Facets) node {
	tags := make([]node, len(fc.Tags))
	for i, tc := range fc.Tags {
		tags[i] = record("tag", integer("id", tc.Tag.ID), str("tag", tc.Tag.Name), integer("count", int64(tc.Count)))
	}
	var types []node
	for _, k := range []string{search.KindImage, search.KindVideo, search.KindAudio, search.KindDocument, search.KindOther} {
		if n := fc.Kinds[k]; n > 0 {
			types = append(types, record("type", str("name", k), integer("count", int64(n))))
		}
	}
	return record("facets",
		integer("total", int64(fc.Total)),
		boolean("approximate", fc.Approximate),
		array("tags", tags),
		array("types", types),
	)
}
