package seal_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"damask/seal"
)

func TestSealOpen(t *testing.T) {
	k, other := seal.NewKey(), seal.NewKey()
	v := k.Seal("the client secret", "account 1")
	if !seal.Sealed(v) || strings.Contains(v, "client secret") {
		t.Fatalf("sealed value %q", v)
	}
	if v2 := k.Seal("the client secret", "account 1"); v2 == v {
		t.Error("two seals of one value are equal: the nonce is not fresh")
	}
	if got, err := k.Open(v, "account 1"); err != nil || got != "the client secret" {
		t.Errorf("Open: %q, %v", got, err)
	}
	tests := []struct {
		name, value, context string
		key                  *seal.Key
	}{
		{"another key", v, "account 1", other},
		{"another context", v, "account 2", k},
		{"damaged", damage(v), "account 1", k},
		{"cut short", "sealed:v1:AAAA", "account 1", k},
	}
	for _, tt := range tests {
		if _, err := tt.key.Open(tt.value, tt.context); !errors.Is(err, seal.ErrWrongKey) {
			t.Errorf("%s: %v, want ErrWrongKey", tt.name, err)
		}
	}
	if _, err := k.Open("plain", "account 1"); err == nil {
		t.Error("Open of a plain value succeeded")
	}
}

func TestParseKey(t *testing.T) {
	k := seal.NewKey()
	for _, s := range []string{k.String(), " " + k.String() + "\n", strings.TrimRight(k.String(), "=")} {
		got, err := seal.ParseKey(s)
		if err != nil || *got != *k {
			t.Errorf("ParseKey(%q): %v", s, err)
		}
	}
	hex := strings.Repeat("0f", 32)
	if got, err := seal.ParseKey(hex); err != nil || got[0] != 0x0f {
		t.Errorf("ParseKey of hex: %v", err)
	}
	for _, s := range []string{"", "short", strings.Repeat("A", 40), strings.Repeat("zz", 32)} {
		if _, err := seal.ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) succeeded", s)
		}
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	k, err := seal.KeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode(), err)
	}
	again, err := seal.KeyFile(path)
	if err != nil || *again != *k {
		t.Errorf("second KeyFile answered another key: %v", err)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := seal.KeyFile(path); err == nil || !strings.Contains(err.Error(), "64 hexadecimal") {
		t.Errorf("damaged key file: %v", err)
	}
}

func TestDerive(t *testing.T) {
	k := seal.NewKey()
	a, b := k.Derive("oidc sign-in"), k.Derive("another purpose")
	if *a == *k || *a == *b || *k.Derive("oidc sign-in") != *a {
		t.Fatal("derived keys are not distinct and stable")
	}
	v := a.Seal("state", "ctx")
	if _, err := k.Open(v, "ctx"); !errors.Is(err, seal.ErrWrongKey) {
		t.Errorf("the parent key opens a derived key's value: %v", err)
	}
	if _, err := b.Open(v, "ctx"); !errors.Is(err, seal.ErrWrongKey) {
		t.Errorf("another purpose's key opens it: %v", err)
	}
	if p, err := a.Open(v, "ctx"); err != nil || p != "state" {
		t.Errorf("Open: %q, %v", p, err)
	}
}

// damage changes one character in the middle of a sealed value, where
// every base64 character carries six bits of the ciphertext: changing the
// last ones instead left the value whole once in a few hundred runs (when
// they were already "AA", or differed only in padding bits).
func damage(v string) string {
	i := len(v) / 2
	c := byte('A')
	if v[i] == c {
		c = 'B'
	}
	return v[:i] + string(c) + v[i+1:]
}
