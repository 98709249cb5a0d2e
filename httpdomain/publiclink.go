package httpdomain

import (
	"errors"
	"net/url"
	"strings"

	"damask"
)

// AccountPlaceholder, in a public base URL, stands for the name of the
// account whose link it makes: https://{account}.cdn.example.com.
const AccountPlaceholder = "{account}"

// ParsePublicBase checks an operator's base URL for public links (a CDN
// in front of the server, which asks the server for what it lacks) and
// answers it without a trailing slash: an absolute http or https URL
// with a host, maybe a path, and no user, query or fragment, since the
// link's path is appended to it. It may hold AccountPlaceholder, for a
// server of several accounts: the server finds the account by the Host
// the CDN sends on, so each account needs a name of its own there. ""
// is "" (links on the request's own host).
func ParsePublicBase(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(strings.ReplaceAll(s, AccountPlaceholder, "account"))
	switch {
	case err != nil:
		return "", err
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("must be an http:// or https:// URL")
	case u.Host == "" || u.Opaque != "":
		return "", errors.New("must name a host")
	case u.User != nil:
		return "", errors.New("must not hold a user or password")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#"):
		return "", errors.New("must not hold a query or fragment: the link's path is appended to it")
	}
	return strings.TrimRight(s, "/"), nil
}

// PublicBase is where the public links of the account's assets go, the
// link's /p/TOKEN after it: the operator's base (ParsePublicBase), its
// AccountPlaceholder replaced by the account's name, when there is one;
// else the request's own scheme and host, requestBase.
func PublicBase(base, requestBase string, a *damask.Account) string {
	if base == "" {
		return requestBase
	}
	return strings.ReplaceAll(base, AccountPlaceholder, a.Name)
}

// InboxPath is where an Inbox's public form is, its token after it: the
// address an Inbox's url gives out, on the PublicBase of its account.
const InboxPath = "/inbox/"
