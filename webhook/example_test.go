package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"damask/webhook"
)

// A receiver checks each delivery with the secret it was shown when the
// webhook was made, before it acts on the body.
func ExampleVerify() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	receive := func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "unreadable", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(secret, r.Header, body, time.Now()); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		fmt.Printf("%s verified\n", r.Header.Get("webhook-id"))
	}

	// What Damask sends, made here with Sign.
	body := `{"type":"asset.created","timestamp":"2026-12-07T10:00:00Z","data":{"id":7,"object":"asset","object_id":12}}`
	now := time.Now()
	sig, _ := webhook.Sign(secret, "msg_41", now, []byte(body))
	r := httptest.NewRequest(http.MethodPost, "/hooks/damask", strings.NewReader(body))
	r.Header.Set("webhook-id", "msg_41")
	r.Header.Set("webhook-timestamp", fmt.Sprint(now.Unix()))
	r.Header.Set("webhook-signature", sig)
	receive(httptest.NewRecorder(), r)

	// A body changed on the way is refused.
	forged := httptest.NewRequest(http.MethodPost, "/hooks/damask", strings.NewReader(strings.Replace(body, "12", "13", 1)))
	forged.Header = r.Header.Clone()
	rec := httptest.NewRecorder()
	receive(rec, forged)
	fmt.Println(rec.Code)
	// Output:
	// msg_41 verified
	// 401
}
