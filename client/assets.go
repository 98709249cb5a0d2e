package client

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Tag is a tag of the account's.
type Tag struct {
	ID   int64  `json:"id"`
	Name string `json:"tag"`
	// AssetsCount is the number of assets that carry it (0 inside an
	// asset's document).
	AssetsCount int `json:"assets_count"`
}

// Asset is an asset's document (the fields a program most often needs;
// the server sends more).
type Asset struct {
	ID          int64     `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Version     int       `json:"version"`
	UserID      int64     `json:"user_id"`
	CreatedOn   time.Time `json:"created_on"`
	UpdatedOn   time.Time `json:"updated_on"`
	Tags        []Tag     `json:"tags"`
	// SHA256 is the current file's SHA-256, in hexadecimal.
	SHA256      string `json:"sha256"`
	ThumbURL    string `json:"thumb_url"`
	PreviewURL  string `json:"preview_url"`
	PublicURL   string `json:"public_url"`
	DownloadURL string `json:"download_url"`
	// Processing is pending, done, failed or unsupported.
	Processing string `json:"processing"`
	// Path is the folder the file came from, where the server keeps it.
	Path   string `json:"path"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// TagNames are the names of the asset's tags.
func (a *Asset) TagNames() []string {
	n := make([]string, len(a.Tags))
	for i, t := range a.Tags {
		n[i] = t.Name
	}
	return n
}

// ListOptions choose and order the assets of a list.
type ListOptions struct {
	// Query is a search in the server's query language ("" for all).
	Query string
	// Tags are names or ids an asset must all carry.
	Tags []string
	// Sort is created_on, updated_on, title, size or relevance, with "-"
	// for descending; the server's order when "".
	Sort string
	// PerPage is the size of a page, 1 to 100 (the server's 25 when 0).
	PerPage int
	// SHA256 limits the list to the assets whose current file has one of
	// these digests (hex), at most 100.
	SHA256 []string
}

// Page is one page of a list.
type Page struct {
	Assets []Asset
	// Next is the cursor of the next page, "" after the last.
	Next string
	// Total is the number of matches (estimated past 1,000, when
	// Approximate says so).
	Total       int
	Approximate bool
}

// ListPage answers one page of assets, from cursor ("" for the first).
// A search without results is an empty page, not an error.
func (c *Client) ListPage(ctx context.Context, o ListOptions, cursor string) (*Page, error) {
	q := url.Values{}
	if o.Query != "" {
		q.Set("query", o.Query)
	}
	if len(o.Tags) > 0 {
		q.Set("tags", strings.Join(o.Tags, ","))
	}
	if o.Sort != "" {
		q.Set("sort", o.Sort)
	}
	if o.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(o.PerPage))
	}
	if len(o.SHA256) > 0 {
		q.Set("sha256", strings.Join(o.SHA256, ","))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	path := "/api/assets.json"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var p Page
	// The API answers a list without results 404 with an empty array.
	h, err := c.call(ctx, http.MethodGet, path, nil, &p.Assets, http.StatusOK, http.StatusNotFound)
	if err != nil {
		return nil, err
	}
	p.Total, _ = strconv.Atoi(h.Get("X-Total-Count"))
	p.Approximate = h.Get("X-Total-Count-Approximate") == "true"
	if len(p.Assets) > 0 {
		p.Next = h.Get("X-Next-Cursor")
	}
	return &p, nil
}

// Assets iterates over every asset of the list, page after page by the
// server's cursor; the iteration stops at the first error, which it
// yields.
//
//	for a, err := range c.Assets(ctx, client.ListOptions{Query: "tag:sea"}) {
//		if err != nil { return err }
//		fmt.Println(a.ID, a.Filename)
//	}
func (c *Client) Assets(ctx context.Context, o ListOptions) iter.Seq2[*Asset, error] {
	return func(yield func(*Asset, error) bool) {
		cursor := ""
		for {
			p, err := c.ListPage(ctx, o, cursor)
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range p.Assets {
				if !yield(&p.Assets[i], nil) {
					return
				}
			}
			if p.Next == "" || p.Next == cursor {
				return
			}
			cursor = p.Next
		}
	}
}

// Asset answers one asset.
func (c *Client) Asset(ctx context.Context, id int64) (*Asset, error) {
	var a Asset
	if _, err := c.call(ctx, http.MethodGet, fmt.Sprintf("/api/assets/%d.json", id), nil, &a, http.StatusOK); err != nil {
		return nil, err
	}
	return &a, nil
}

// NewAsset is an asset to make from an upload.
type NewAsset struct {
	// UploadID is the upload whose file the asset takes (Upload's ID).
	UploadID    int64
	Title       string
	Description string
	// Tags are names (new ones are made) or ids.
	Tags []string
}

// CreateAsset makes an asset from an upload.
func (c *Client) CreateAsset(ctx context.Context, n NewAsset) (*Asset, error) {
	if n.UploadID == 0 {
		return nil, errors.New("client: CreateAsset: no upload id")
	}
	f := url.Values{"upload_id": {strconv.FormatInt(n.UploadID, 10)}}
	if n.Title != "" {
		f.Set("title", n.Title)
	}
	if n.Description != "" {
		f.Set("description", n.Description)
	}
	if len(n.Tags) > 0 {
		f.Set("tags", strings.Join(n.Tags, ","))
	}
	var a Asset
	if _, err := c.call(ctx, http.MethodPost, "/api/assets.json", f, &a, http.StatusCreated); err != nil {
		return nil, err
	}
	return &a, nil
}

// AssetChanges are the fields of an update; nil ones stay as they are.
type AssetChanges struct {
	Title       *string
	Description *string
	// Tags replace the asset's tags (an empty slice removes them all).
	Tags *[]string
	// UploadID, when not 0, makes the upload's file the asset's new
	// version (plans with versions only, else 403).
	UploadID int64
}

// UpdateAsset changes an asset and answers it as it is now.
func (c *Client) UpdateAsset(ctx context.Context, id int64, ch AssetChanges) (*Asset, error) {
	f := url.Values{}
	if ch.Title != nil {
		f.Set("title", *ch.Title)
	}
	if ch.Description != nil {
		f.Set("description", *ch.Description)
	}
	if ch.Tags != nil {
		f.Set("tags", strings.Join(*ch.Tags, ","))
	}
	if ch.UploadID != 0 {
		f.Set("upload_id", strconv.FormatInt(ch.UploadID, 10))
	}
	var a Asset
	if _, err := c.call(ctx, http.MethodPut, fmt.Sprintf("/api/assets/%d.json", id), f, &a, http.StatusOK); err != nil {
		return nil, err
	}
	return &a, nil
}

// DeleteAsset moves an asset to the account's trash.
func (c *Client) DeleteAsset(ctx context.Context, id int64) error {
	_, err := c.call(ctx, http.MethodDelete, fmt.Sprintf("/api/assets/%d.json", id), nil, nil, http.StatusOK, http.StatusNoContent)
	return err
}

// Tags answers the account's tags. An account without tags answers none.
func (c *Client) Tags(ctx context.Context) ([]Tag, error) {
	var t []Tag
	if _, err := c.call(ctx, http.MethodGet, "/api/tags.json", nil, &t, http.StatusOK, http.StatusNotFound); err != nil {
		return nil, err
	}
	return t, nil
}

// CreateTag makes a tag.
func (c *Client) CreateTag(ctx context.Context, name string) (*Tag, error) {
	var t Tag
	if _, err := c.call(ctx, http.MethodPost, "/api/tags.json", url.Values{"tag": {name}}, &t, http.StatusCreated); err != nil {
		return nil, err
	}
	return &t, nil
}

// DeleteTag removes a tag from the account (and from its assets).
func (c *Client) DeleteTag(ctx context.Context, id int64) error {
	_, err := c.call(ctx, http.MethodDelete, fmt.Sprintf("/api/tags/%d.json", id), nil, nil, http.StatusOK, http.StatusNoContent)
	return err
}

// Token is an API token; Secret is set only in CreateToken's answer.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	ReadOnly   bool       `json:"read_only"`
	UserID     int64      `json:"user_id"`
	CreatedOn  time.Time  `json:"created_on"`
	ExpiresOn  *time.Time `json:"expires_on"`
	LastUsedOn *time.Time `json:"last_used_on"`
	RevokedOn  *time.Time `json:"revoked_on"`
	// Secret is the token (`dmk_...`), shown once.
	Secret string `json:"token"`
}

// NewToken is a token to make.
type NewToken struct {
	Name     string
	ReadOnly bool
	// ExpiresInDays is its life; 0 for a token that does not expire.
	ExpiresInDays int
}

// CreateToken makes an API token of the user's. The server takes this
// only from a client signed in with a password (WithBasicAuth), never
// with a token.
func (c *Client) CreateToken(ctx context.Context, n NewToken) (*Token, error) {
	f := url.Values{"name": {n.Name}, "read_only": {strconv.FormatBool(n.ReadOnly)}}
	if n.ExpiresInDays > 0 {
		f.Set("expires_in_days", strconv.Itoa(n.ExpiresInDays))
	}
	var t Token
	if _, err := c.call(ctx, http.MethodPost, "/api/tokens.json", f, &t, http.StatusCreated); err != nil {
		return nil, err
	}
	return &t, nil
}

// User is a user's document.
type User struct {
	ID        int64  `json:"id"`
	Login     string `json:"login"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Role      string `json:"role"`
}

// Me answers the signed-in user: a cheap check of the credentials.
func (c *Client) Me(ctx context.Context) (*User, error) {
	var u User
	if _, err := c.call(ctx, http.MethodGet, "/api/user.json", nil, &u, http.StatusOK); err != nil {
		return nil, err
	}
	return &u, nil
}
