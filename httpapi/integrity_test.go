package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// Stored bytes that no longer match their SHA-256 are never served: the
// download fails loudly with a 5xx and an error document, and is counted;
// once the bytes are right again, the download works.
func TestDamagedFileRefused(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "pro")
	data := bytes.Repeat([]byte("precious bytes\n"), 10_000)
	a := tn.member.createAsset(t, "precious.txt", data)
	path := "/api/assets/download/" + id(t, a)
	if got := tn.member.get(t, path).want(t, 200).body; !bytes.Equal(got, data) {
		t.Fatalf("download before the damage: %d bytes", len(got))
	}
	sum := sha256.Sum256(data)
	name := hex.EncodeToString(sum[:])
	file := filepath.Join(e.blobDir, name[:2], name)

	for _, damage := range []struct {
		name string
		fn   func([]byte) []byte
	}{
		{"a flipped bit", func(b []byte) []byte { b[len(b)/3] ^= 1; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }},
		{"grown", func(b []byte) []byte { return append(b, '!') }},
	} {
		t.Run(damage.name, func(t *testing.T) {
			before := e.svc.IntegrityFailures()
			if err := os.WriteFile(file, damage.fn(bytes.Clone(data)), 0o644); err != nil {
				t.Fatal(err)
			}
			c := *tn.member
			c.allow500 = true
			for _, ext := range []string{"", "?version=1"} {
				c.get(t, path+ext).wantError(t, 500, "")
				c.get(t, path+ext, "Range", "bytes=0-9").wantError(t, 500, "")
			}
			if got := e.svc.IntegrityFailures() - before; got != 4 {
				t.Errorf("%d failures counted, want 4", got)
			}
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if got := tn.member.get(t, path).want(t, 200).body; !bytes.Equal(got, data) {
				t.Errorf("download after repair: %d bytes", len(got))
			}
		})
	}
}
