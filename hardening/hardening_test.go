package hardening

import (
	"os"
	"path/filepath"
	"testing"

	"damask/servertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	servertest.Cleanup()
	os.Exit(code)
}

// library is a running server on a new data folder, ready for requests,
// with a client of the default account's holder.
type library struct {
	*servertest.Server
	data  string // the data folder
	admin servertest.Client
}

// start builds the binary (once), starts `damask serve` on a new data
// folder with the extra flags, and switches the default account's API on.
func start(t *testing.T, extra ...string) *library {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	bin := servertest.Build(t)
	s := servertest.Serve(t, bin, data, extra...)
	if out, err := servertest.Command(t, bin, nil, "account", "api", "default", "on", "--data", data); err != nil {
		t.Fatalf("account api default on: %v\n%s", err, out)
	}
	admin := servertest.Admin(t, s)
	s.WaitReady(admin.HTTP)
	return &library{Server: s, data: data, admin: admin}
}
