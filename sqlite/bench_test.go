package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"damask"
	"damask/synth"
)

// BenchmarkCreateAssets loads a synthetic catalogue in batches of 10,000,
// as `damask dev seed` does: the import target is a million in a minute.
func BenchmarkCreateAssets(b *testing.B) {
	ctx := b.Context()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "damask.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a := &damask.Account{Name: "bench", Plan: "deluxe"}
	if err := db.CreateAccount(ctx, a, &damask.User{Login: "holder", Email: "h@example.com", Role: damask.RoleHolder}); err != nil {
		b.Fatal(err)
	}
	const batch = 10000
	cat := synth.New(1, []int64{0}, b.N*batch, time.Now())
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		as := make([]*damask.Asset, batch)
		for j := range as {
			as[j] = cat.Asset(i*batch+j, a.ID)
		}
		b.StartTimer()
		if err := db.CreateAssets(ctx, as); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "assets/s")
}
