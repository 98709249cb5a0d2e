// Package seal encrypts the few secrets Damask must keep in its database
// and use again (an account's OpenID Connect client secret) with AES-256-GCM
// under a key the operator holds outside the database: a copy of the
// database, or of a backup, then reveals no secret without the key.
//
// A sealed value is text, "sealed:v1:" and the base64 of a random nonce and
// the ciphertext, so that it fits the text column that held the plain value
// before, and a plain value left from an older version is told apart.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Key is an AES-256 key.
type Key [32]byte

const prefix = "sealed:v1:"

// ErrWrongKey is the error of Open for a value sealed under another key
// (or damaged).
var ErrWrongKey = errors.New("seal: the value was sealed under another key, or is damaged")

// NewKey is a random key.
func NewKey() *Key {
	var k Key
	rand.Read(k[:]) // never fails: crypto/rand panics rather than answer weak bytes
	return &k
}

// ParseKey reads a key written as 64 hexadecimal digits or as the base64
// (standard or URL alphabet, padded or not) of 32 bytes; blanks around it
// are ignored.
func ParseKey(s string) (*Key, error) {
	s = strings.TrimSpace(s)
	var b []byte
	var err error
	switch {
	case len(s) == 64:
		b, err = hex.DecodeString(s)
	default:
		b, err = base64.RawURLEncoding.DecodeString(strings.NewReplacer("+", "-", "/", "_", "=", "").Replace(s))
	}
	if err != nil || len(b) != len(Key{}) {
		return nil, errors.New("seal: a key is 32 bytes written as 64 hexadecimal digits or in base64 (make one with: openssl rand -base64 32)")
	}
	var k Key
	copy(k[:], b)
	return &k, nil
}

// String is the key in standard base64, as ParseKey reads it.
func (k *Key) String() string { return base64.StdEncoding.EncodeToString(k[:]) }

// ReadKeyFile reads a key from a file that holds it as ParseKey reads it.
func ReadKeyFile(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seal: read key: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// KeyFile reads the key of path, first making the file with a new random
// key, readable by its owner only, when it does not exist.
func KeyFile(path string) (*Key, error) {
	k := NewKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return ReadKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("seal: make key file: %w", err)
	}
	_, err = f.WriteString(k.String() + "\n")
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("seal: write key file: %w", err)
	}
	return k, nil
}

// Derive is a key of its own for purpose, made from k with HKDF-SHA256:
// values sealed under it open under neither k nor the key of another
// purpose, and sealing many of them (say, one per anonymous request) does
// not use up k, whose random nonces are good for 2^32 values.
func (k *Key) Derive(purpose string) *Key {
	b, err := hkdf.Key(sha256.New, k[:], nil, "damask seal\x00"+purpose, len(Key{}))
	if err != nil {
		panic(err) // HKDF-SHA256 makes 32 bytes from any key
	}
	return (*Key)(b)
}

// Sealed tells whether v is a sealed value, rather than a plain one.
func Sealed(v string) bool { return strings.HasPrefix(v, prefix) }

// Seal encrypts plain. The value is bound to context (say, the account
// it belongs to): Open with another context fails, so that a sealed value
// copied to another row is of no use there.
func (k *Key) Seal(plain, context string) string {
	g := k.gcm()
	nonce := make([]byte, g.NonceSize(), g.NonceSize()+len(plain)+g.Overhead())
	rand.Read(nonce)
	return prefix + base64.RawStdEncoding.EncodeToString(g.Seal(nonce, nonce, []byte(plain), []byte(context)))
}

// Open decrypts a sealed value; ErrWrongKey when the key or the context
// is not the one it was sealed with.
func (k *Key) Open(sealed, context string) (string, error) {
	if !Sealed(sealed) {
		return "", errors.New("seal: not a sealed value")
	}
	b, err := base64.RawStdEncoding.DecodeString(sealed[len(prefix):])
	g := k.gcm()
	if err != nil || len(b) < g.NonceSize() {
		return "", ErrWrongKey
	}
	plain, err := g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], []byte(context))
	if err != nil {
		return "", ErrWrongKey
	}
	return string(plain), nil
}

func (k *Key) gcm() cipher.AEAD {
	b, err := aes.NewCipher(k[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return g
}
