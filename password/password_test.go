package password

import "testing"

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
