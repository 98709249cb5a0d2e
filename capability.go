package damask

import (
	"crypto/rand"
	"strings"
)

// NewCapability returns a new secret for a URL that works without
// credentials (an asset's ThumbToken): 26 base32 letters from crypto/rand,
// 130 random bits, lower case so that it reads the same in any URL.
func NewCapability() string { return strings.ToLower(rand.Text()) }

// EnsureThumbToken gives a an asset's ThumbToken when it has none, and
// answers it: the stores call it as they write an asset, so that every
// asset stored has one, made in Go from crypto/rand.
func EnsureThumbToken(a *Asset) string {
	if a.ThumbToken == "" {
		a.ThumbToken = NewCapability()
	}
	return a.ThumbToken
}
