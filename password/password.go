// Package password hashes and verifies passwords with argon2id, written in
// the PHC string format ($argon2id$v=19$m=...,t=...,p=...$salt$hash) so that
// the parameters can grow later without breaking stored hashes.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id costs.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// Default follows OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane):
// about 30 ms on this project's 2-core machines. Basic auth does not pay it
// on every request: the library caches verified credentials.
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

var b64 = base64.RawStdEncoding

// slots bounds the derivations running at once to one per core: each holds
// Memory KiB (19 MiB by default), so that a burst of sign-ins, honest or
// not, costs queueing time rather than memory without bound; more at once
// would not finish sooner on the same cores anyway.
var slots = make(chan struct{}, runtime.GOMAXPROCS(0))

// releaseFrom is the arena, in KiB, from which a derivation hands its
// memory back to the system as soon as it is done.
const releaseFrom = 8 * 1024

// derive is argon2id.IDKey inside a slot. A large arena is handed back at
// once: otherwise it stays in the heap until a collection that the next
// derivation's arena does not wait for, so two sign-ins in a row held two
// arenas (measured: 104 MiB at rest, 124 after one sign-in, 142 after a
// second, back to 107 only later).
func derive(pw, salt []byte, p Params, n uint32) []byte {
	slots <- struct{}{}
	defer func() { <-slots }()
	key := argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, n)
	if p.Memory >= releaseFrom {
		debug.FreeOSMemory()
	}
	return key
}

// Hash derives a PHC string for pw with fresh random salt.
func Hash(pw string, p Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := derive([]byte(pw), salt, p, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errFormat = errors.New("password hash: not an argon2id PHC string")

// Verify tells whether pw matches the PHC string. The comparison takes the
// same time wherever the bytes differ.
func Verify(pw, phc string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errFormat
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errFormat
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, errFormat
	}
	if p.Memory == 0 || p.Memory > 1<<22 || p.Time == 0 || p.Time > 64 || p.Threads == 0 {
		return false, errFormat
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errFormat
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false, errFormat
	}
	got := derive([]byte(pw), salt, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
