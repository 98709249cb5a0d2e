package library_test

import (
	"context"
	"strings"
	"testing"

	"damask"
	"damask/library"
	"damask/oidctest"
	"damask/outbound"
	"damask/seal"
)

// TestSealedSecrets: client secrets are kept sealed; one kept in plain text
// by an older version is still used and is sealed at the next start; a
// server with the wrong key or none says so clearly, at start and at
// sign-in, and keeps serving.
func TestSealedSecrets(t *testing.T) {
	ctx := context.Background()
	db, blobs := openStores(t)
	// The provider is on 127.0.0.1, which the operator allows here.
	allow, err := outbound.ParseAllow("127.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	out := outbound.New(outbound.Options{Allow: allow})
	service := func(key *seal.Key) *library.Service {
		return serviceOn(t, db, blobs, nil, library.Options{SecretKey: key, Outbound: out})
	}
	key := seal.NewKey()
	svc := service(key)
	a, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "deluxe",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "ann's password"})
	if err != nil {
		t.Fatal(err)
	}
	op := oidctest.StartBad(t)
	settings := library.OIDCSettings{Issuer: op.URL, ClientID: "damask", ClientSecret: "the secret", Domains: []string{"acme.test"}}
	stored := func() string {
		t.Helper()
		c, err := db.OIDCConfig(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c.ClientSecret
	}
	opens := func(v string) string {
		t.Helper()
		// The stored value must hold no trace of the secret, and open
		// with the key alone.
		if strings.Contains(v, "the secret") || !seal.Sealed(v) {
			t.Fatalf("stored secret %q, want it sealed", v)
		}
		return v
	}

	if err := svc.SetOIDC(ctx, "acme", settings); err != nil {
		t.Fatal(err)
	}
	first := opens(stored())
	// The holder's form leaves the secret empty to keep it: it stays the
	// same secret, sealed once.
	hc := library.Caller{Account: a, User: holder}
	if err := svc.SetAccountOIDC(ctx, hc, library.OIDCSettings{Issuer: settings.Issuer, ClientID: "damask", Domains: []string{"acme.test"}}); err != nil {
		t.Fatal(err)
	}
	if v := opens(stored()); v == first || len(v) != len(first) {
		t.Errorf("kept secret re-stored as %q (was %q): want the same secret sealed anew", v, first)
	}

	// A plain value of an older version: used, then sealed at start.
	c, _ := db.OIDCConfig(ctx, a.ID)
	c.ClientSecret = "the secret"
	if err := db.SetOIDCConfig(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.BeginOIDC(ctx, a, "http://acme.test/cb"); err != nil {
		t.Errorf("BeginOIDC with a plain secret: %v", err)
	}
	if n, err := svc.SealSecrets(ctx); err != nil || n != 1 {
		t.Fatalf("SealSecrets: %d, %v; want 1 sealed", n, err)
	}
	opens(stored())
	if n, err := svc.SealSecrets(ctx); err != nil || n != 0 {
		t.Errorf("SealSecrets again: %d, %v; want nothing to do", n, err)
	}

	tests := []struct {
		name string
		key  *seal.Key
		want string
	}{
		{"wrong key", seal.NewKey(), "cannot be opened with this server's secret key"},
		{"no key", nil, "the server has no secret key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := service(tt.key)
			if _, err := other.SealSecrets(ctx); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "acme") {
				t.Errorf("SealSecrets: %v; want an error naming the account and %q", err, tt.want)
			}
			_, _, err := other.BeginOIDC(ctx, a, "http://acme.test/cb")
			if err == nil || !strings.Contains(err.Error(), tt.want) || damask.ErrorCode(err) != damask.EINTERNAL {
				t.Errorf("BeginOIDC: %v (code %s); want an internal error saying %q", err, damask.ErrorCode(err), tt.want)
			}
			// Password sign-ins go on.
			if _, err := other.Authenticate(ctx, a, "ann", "ann's password", "test"); err != nil {
				t.Errorf("password sign-in: %v", err)
			}
		})
	}
	// Without a key no secret can be set.
	if err := service(nil).SetOIDC(ctx, "acme", settings); damask.ErrorCode(err) != damask.EINVALID || !strings.Contains(damask.ErrorMessage(err), "DAMASK_SECRET_KEY") {
		t.Errorf("SetOIDC without a key: %v", err)
	}
}
