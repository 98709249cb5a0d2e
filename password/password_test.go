package password

import (
	"fmt"
	"testing"
)

func TestHashVerify(t *testing.T) {
	fast := Params{Memory: 64, Time: 1, Threads: 1}
	h, err := Hash("correct horse", fast)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := Hash("correct horse", fast)
	if h == h2 {
		t.Error("two hashes of one password are equal: salt not random")
	}
	tests := []struct {
		name string
		pw   string
		phc  string
		ok   bool
		err  bool
	}{
		{"right", "correct horse", h, true, false},
		{"wrong", "correct horsf", h, false, false},
		{"empty", "", h, false, false},
		{"not phc", "x", "bcrypt-ish", false, true},
		{"other algorithm", "x", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", false, true},
		{"absurd memory", "x", "$argon2id$v=19$m=999999999,t=1,p=1$AAAA$AAAA", false, true},
		{"zero threads", "x", "$argon2id$v=19$m=64,t=1,p=0$AAAA$AAAA", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := Verify(tt.pw, tt.phc)
			if ok != tt.ok || (err != nil) != tt.err {
				t.Errorf("Verify = %v, %v; want %v, error %v", ok, err, tt.ok, tt.err)
			}
		})
	}
}

// Derivations beyond one per core wait for a slot instead of each taking
// its memory at once; all of them still finish, right.
func TestConcurrentVerify(t *testing.T) {
	p := Params{Memory: 1024, Time: 1, Threads: 1}
	h, err := Hash("secret", p)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 32)
	for i := range 32 {
		go func() {
			pw := "secret"
			if i%2 == 1 {
				pw = "wrong"
			}
			ok, err := Verify(pw, h)
			if err == nil && ok != (i%2 == 0) {
				err = fmt.Errorf("Verify(%q) = %v", pw, ok)
			}
			errs <- err
		}()
	}
	for range 32 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkVerify is one sign-in's derivation at the default parameters,
// the arena's release included.
func BenchmarkVerify(b *testing.B) {
	h, err := Hash("correct horse battery staple", Default)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, err := Verify("correct horse battery staple", h); !ok || err != nil {
			b.Fatalf("Verify: %v, %v", ok, err)
		}
	}
}
