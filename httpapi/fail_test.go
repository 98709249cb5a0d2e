package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"damask/httpdomain"
)

// TestFailClientGone: a request whose client went away is logged at INFO,
// not as a failure of the server at ERROR; a real internal error still is.
func TestFailClientGone(t *testing.T) {
	for _, tc := range []struct {
		name     string
		canceled bool // the request's context has ended
		err      error
		level    string
		status   int
	}{
		{"client closed, store saw it", true, fmt.Errorf("find asset: %w", context.Canceled), "INFO", http.StatusBadRequest},
		{"client closed, other error", true, errors.New("sql: connection is already closed"), "INFO", http.StatusBadRequest},
		{"canceled underneath", false, fmt.Errorf("read: %w", context.Canceled), "INFO", http.StatusBadRequest},
		{"internal error", false, errors.New("disk on fire"), "ERROR", http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := &Server{log: slog.New(slog.NewTextHandler(&logs, nil))}
			r := httptest.NewRequest("GET", "/api/assets/1.xml", nil)
			ctx, cancel := context.WithCancel(r.Context())
			if tc.canceled {
				cancel()
			}
			defer cancel()
			r = httpdomain.WithInfo(r.WithContext(ctx), &request{id: "x", format: formatXML})
			w := httptest.NewRecorder()
			s.fail(w, r, tc.err)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			if !strings.Contains(logs.String(), "level="+tc.level) {
				t.Errorf("log %q, want level %s", logs.String(), tc.level)
			}
		})
	}
}
