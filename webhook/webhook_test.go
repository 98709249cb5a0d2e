package webhook_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"damask/webhook"
)

// The example of the Standard Webhooks specification's reference
// libraries: a known secret, id, timestamp and body, and the signature
// they give.
func TestSignKnownAnswer(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	ts := time.Unix(1614265330, 0)
	got, err := webhook.Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	now := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)
	sig, err := webhook.Sign(secret, "msg_1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	header := func(id, ts, sig string) http.Header {
		h := http.Header{}
		for k, v := range map[string]string{"webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig} {
			if v != "" {
				h.Set(k, v)
			}
		}
		return h
	}
	tsText := fmt.Sprint(now.Unix())
	tests := []struct {
		name   string
		secret string
		h      http.Header
		body   []byte
		now    time.Time
		ok     bool
	}{
		{"good", secret, header("msg_1", tsText, sig), body, now, true},
		{"one of two signatures", secret, header("msg_1", tsText, "v1,bm9wZQ== "+sig), body, now, true},
		{"a minute late", secret, header("msg_1", tsText, sig), body, now.Add(time.Minute), true},
		{"other body", secret, header("msg_1", tsText, sig), []byte(`{"test": 1}`), now, false},
		{"other id", secret, header("msg_2", tsText, sig), body, now, false},
		{"other secret", "whsec_" + "c2VjcmV0", header("msg_1", tsText, sig), body, now, false},
		{"too old", secret, header("msg_1", tsText, sig), body, now.Add(webhook.Tolerance + time.Second), false},
		{"from the future", secret, header("msg_1", tsText, sig), body, now.Add(-webhook.Tolerance - time.Second), false},
		{"no signature", secret, header("msg_1", tsText, ""), body, now, false},
		{"v2 only", secret, header("msg_1", tsText, "v2"+sig[2:]), body, now, false},
		{"bad timestamp", secret, header("msg_1", "soon", sig), body, now, false},
		{"bad secret", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", header("msg_1", tsText, sig), body, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.secret, tt.h, tt.body, tt.now)
			if (err == nil) != tt.ok {
				t.Errorf("Verify = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// FuzzVerify: no header or body makes Verify panic, and only the signed
// body verifies.
func FuzzVerify(f *testing.F) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	f.Add("msg_1", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", []byte(`{"test": 2432232314}`))
	f.Add("", "x", "v1,", []byte{})
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		_ = webhook.Verify(secret, h, body, time.Unix(1614265330, 0))
	})
}
