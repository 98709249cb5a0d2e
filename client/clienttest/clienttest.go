// Package clienttest runs a real Damask API server in the test's process,
// for the tests of package client and of the command line's client
// commands: a fresh SQLite file and disk blob store, the HTTP API of
// package httpapi behind httptest, and the default account with its API
// on. A test may wrap the handler to watch or cut requests.
package clienttest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"damask/blob/disk"
	"damask/httpapi"
	"damask/library"
	"damask/password"
	"damask/seal"
	"damask/sqlite"
)

// Login and Password are the default account's holder.
const (
	Login    = "admin"
	Password = "correct horse battery"
)

// Server is one running server.
type Server struct {
	URL     string
	Service *library.Service
	srv     *httptest.Server
	close   func()
}

// Options change the server; the zero value is a deluxe account and a
// 1 GiB file limit.
type Options struct {
	// Wrap, when set, wraps the API's handler (to count or cut requests).
	Wrap func(http.Handler) http.Handler
	// MaxFileSize is the largest file accepted; 1 GiB when 0.
	MaxFileSize int64
}

// Start starts a server on folders of the test's, stopped when the test
// ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s, err := Open(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Open starts a server whose database and files are in dir (for examples
// and benchmarks that have no testing.T); Close stops it.
func Open(dir string, o Options) (*Server, error) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "d.db"))
	if err != nil {
		return nil, err
	}
	blobs, err := disk.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		db.Close()
		return nil, err
	}
	closeAll := func() { db.Close(); blobs.Close() }
	if o.MaxFileSize == 0 {
		o.MaxFileSize = 1 << 30
	}
	svc, err := library.New(db, blobs, library.Options{MaxFileSize: o.MaxFileSize,
		Password: password.Params{Memory: 64, Time: 1, Threads: 1}, SecretKey: seal.NewKey()})
	if err != nil {
		closeAll()
		return nil, err
	}
	if _, _, err := svc.CreateAccount(ctx, library.NewAccount{Name: "default", Plan: "deluxe",
		HolderLogin: Login, HolderEmail: "admin@example.test", Password: Password, APIEnabled: true}); err != nil {
		closeAll()
		return nil, err
	}
	if err := svc.SetAPI(ctx, "default", true); err != nil {
		closeAll()
		return nil, err
	}
	var h http.Handler = httpapi.New(svc, httpapi.Config{Domain: "example.com"})
	if o.Wrap != nil {
		h = o.Wrap(h)
	}
	s := &Server{Service: svc, srv: httptest.NewServer(h)}
	s.URL = s.srv.URL
	s.close = func() {
		s.srv.Close()
		closeAll()
	}
	return s, nil
}

// Close stops the server and closes its stores.
func (s *Server) Close() { s.close() }
