package metadata

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var (
	execLookPath  = exec.LookPath
	execCommand   = exec.Command
	jsonUnmarshal = json.Unmarshal
)

// fakeTool writes a shell script standing in for exiftool. The real one is
// called as `exiftool -config "" -ver` for its version, so $3 is "-ver".
func fakeTool(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake-exiftool")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
