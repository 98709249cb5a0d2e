// Package webhook signs and verifies Damask's webhook deliveries, as the
// Standard Webhooks specification (https://www.standardwebhooks.com) says:
// each delivery carries the headers webhook-id (the message's id, the same
// for every attempt of one delivery), webhook-timestamp (Unix seconds) and
// webhook-signature ("v1," and the base64 of the HMAC-SHA256 of
// "id.timestamp.body" keyed with the secret's bytes). The secret is shown
// once, when the webhook is made: "whsec_" and the base64 of its bytes.
//
// A receiver verifies a delivery before it trusts it:
//
//	body, _ := io.ReadAll(r.Body)
//	if err := webhook.Verify(secret, r.Header, body, time.Now()); err != nil {
//		http.Error(w, "bad signature", http.StatusUnauthorized)
//		return
//	}
//
// The package needs only the standard library, so that integrators can
// import it alone.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix begins every secret.
const SecretPrefix = "whsec_"

// Tolerance is how far a delivery's timestamp may be from the receiver's
// clock: older deliveries are refused, so that a captured one cannot be
// replayed later.
const Tolerance = 5 * time.Minute

// Headers of a delivery.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Errors of Verify.
var (
	ErrBadSecret    = errors.New("webhook: the secret is not whsec_ and base64")
	ErrMissing      = errors.New("webhook: a webhook-id, webhook-timestamp or webhook-signature header is missing")
	ErrTimestamp    = errors.New("webhook: the timestamp is too far from now")
	ErrNoSignature  = errors.New("webhook: no signature matches")
	errBadTimestamp = errors.New("webhook: the timestamp is not a number of seconds")
)

// key decodes a secret into the HMAC key.
func key(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, ErrBadSecret
	}
	k, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(k) == 0 {
		return nil, ErrBadSecret
	}
	return k, nil
}

// Sign answers the webhook-signature header of a delivery: "v1," and the
// base64 of the HMAC-SHA256 of "id.timestamp.body".
func Sign(secret, id string, timestamp time.Time, body []byte) (string, error) {
	k, err := key(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(k, id, timestamp.Unix(), body)), nil
}

func mac(k []byte, id string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, k)
	fmt.Fprintf(h, "%s.%d.", id, ts)
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a delivery's headers against its body, as received (not
// parsed and encoded again), with the webhook's secret: nil when one of
// the signatures in webhook-signature (space-separated, as a secret being
// rotated may give two) is the body's, and its timestamp within Tolerance
// of now.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	k, err := key(secret)
	if err != nil {
		return err
	}
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissing
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return errBadTimestamp
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return ErrTimestamp
	}
	want := mac(k, id, ts, body)
	for _, s := range strings.Fields(sigs) {
		v, b64, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoSignature
}
