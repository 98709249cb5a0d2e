package hardening

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"damask/blob/s3/s3test"
	"damask/postgres/pgtest"
	"damask/servertest"
)

// crashSeedEnv replays a run of TestR28: its log names the seed.
const crashSeedEnv = "DAMASK_TEST_CRASH_SEED"

// crashSetups are the stores TestR28 crashes on. Each answers the flags
// of every command on them.
var crashSetups = []struct {
	name string
	args func(t *testing.T) []string
	disk bool // the files are in DATA/blobs
}{
	{"sqlite+disk", func(t *testing.T) []string { return nil }, true},
	{"postgres+s3", func(t *testing.T) []string {
		url, _ := s3test.Start(t)
		return []string{"--db", pgtest.Database(t, ""), "--blobs", url + "&part-size=5"}
	}, false},
}

// TestR28_CrashDuringUploads: the crash test repeated, on SQLite and the
// disk and on PostgreSQL and S3. Each round starts the real server on the
// same stores, sends a few uploads at once, each with an Idempotency-Key,
// and SIGKILLs the server at a random moment (a random count of bytes
// sent, from a logged seed that DAMASK_TEST_CRASH_SEED replays). The next
// round's start then checks: every acknowledged upload is listed and
// downloads byte for byte; an upload cut off by the kill, retried with its
// key, is stored exactly once; the temporary files of the disk are gone.
// At the end every asset is downloaded whole (no record without bytes)
// and `damask check` (SQLite's PRAGMA integrity_check included) finds
// everything sound. RELIABILITY.md items 28 and 36.
func TestR28_CrashDuringUploads(t *testing.T) {
	rounds := 20
	if testing.Short() {
		rounds = 3
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(crashSeedEnv); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", crashSeedEnv, v, err)
		}
		seed = n
	}
	for i, setup := range crashSetups {
		t.Run(setup.name, func(t *testing.T) {
			t.Logf("seed %d (replay with %s=%d)", seed, crashSeedEnv, seed)
			crashRounds(t, setup.args(t), setup.disk, rounds, rand.New(rand.NewPCG(seed, uint64(i))))
		})
	}
}

// crashUpload is one file sent by TestR28.
type crashUpload struct {
	name  string
	key   string // its Idempotency-Key
	seed  uint64 // of its bytes
	size  int64
	sha   string
	id    int64 // the asset, once known
	acked bool  // answered 201 before the kill
}

func crashRounds(t *testing.T, args []string, disk bool, rounds int, rng *rand.Rand) {
	bin := servertest.Build(t)
	data := filepath.Join(t.TempDir(), "data")
	flags := append([]string{"--max-uploads-per-user", "0"}, args...)
	start := time.Now()
	var all []*crashUpload // every upload of every round
	var cut []*crashUpload // the last round's uploads that got no answer
	nAcked, nCut := 0, 0
	for round := 0; ; round++ {
		s := servertest.Serve(t, bin, data, flags...)
		if round == 0 {
			if out, err := servertest.Command(t, bin, nil, append([]string{"account", "api", "default", "on", "--data", data}, args...)...); err != nil {
				t.Fatalf("account api default on: %v\n%s", err, out)
			}
		}
		admin := servertest.Admin(t, s)
		s.WaitReady(admin.HTTP)
		if disk {
			if left, err := os.ReadDir(filepath.Join(data, "blobs", ".tmp")); err != nil || len(left) > 0 {
				t.Errorf("round %d: %d temporary files left after the restart (%v)", round, len(left), err)
			}
		}
		// What the last round cut off, retried with its key, is stored
		// once: either it was committed and is replayed, or it is made now.
		for _, u := range cut {
			res := sendUpload(context.Background(), admin, u, nil)
			if res.status != http.StatusCreated || res.err != nil {
				t.Errorf("round %d: retry of %s with its key: %d %v %s", round, u.name, res.status, res.err, res.body)
				continue
			}
			u.id = res.id
		}
		if round > 0 {
			checkAssets(t, admin, all, round, false)
		}
		if round == rounds {
			checkAssets(t, admin, all, round, true)
			s.Stop()
			s.CheckLog()
			break
		}

		// This round's uploads, and the kill after a random count of
		// bytes sent.
		n := 3 + rng.IntN(4)
		ups := make([]*crashUpload, n)
		var total int64
		for i := range ups {
			size := 8<<10 + rng.Int64N(1<<20)
			if rng.IntN(4) == 0 {
				size = 5<<20 + rng.Int64N(2<<20) // a multipart upload on S3
			}
			u := &crashUpload{name: fmt.Sprintf("r%02d-%d.bin", round, i), seed: rng.Uint64(), size: size}
			u.key = "crash-" + u.name
			h := sha256.New()
			io.Copy(h, payloadOf(u))
			u.sha = hex.EncodeToString(h.Sum(nil))
			ups[i] = u
			total += size
		}
		killAt := rng.Int64N(total)
		var sent atomic.Int64
		var killOnce sync.Once
		progress := func(k int) {
			if sent.Add(int64(k)) > killAt {
				killOnce.Do(func() { go s.Kill() })
			}
		}
		// Two at a time, so that the kill finds some answered, some in
		// flight and some not started.
		results := make([]uploadOutcome, n)
		slots := make(chan struct{}, 2)
		var wg sync.WaitGroup
		for i, u := range ups {
			wg.Go(func() {
				slots <- struct{}{}
				defer func() { <-slots }()
				if s.Killing() {
					results[i].err = errors.New("not sent: the server was killed")
					return
				}
				results[i] = sendUpload(context.Background(), admin, u, progress)
				results[i].started = true
				results[i].beforeKill = !s.Killing()
			})
		}
		wg.Wait()
		killOnce.Do(func() { go s.Kill() }) // every byte went out before the threshold: kill now
		<-s.Done()
		admin.HTTP.CloseIdleConnections()
		s.CheckLog()
		cut = cut[:0]
		notSent := 0
		for i, u := range ups {
			r := results[i]
			switch {
			case r.status == http.StatusCreated && r.err == nil:
				u.acked, u.id = true, r.id
				nAcked++
			case r.status != 0:
				t.Errorf("round %d: %s (%d bytes): %d %s", round, u.name, u.size, r.status, r.body)
			case r.beforeKill:
				t.Errorf("round %d: %s (%d bytes) failed before the kill: %v", round, u.name, u.size, r.err)
			default:
				cut = append(cut, u)
				nCut++
				if !r.started {
					notSent++
				}
			}
			all = append(all, u)
		}
		t.Logf("round %d: killed after %d of %d bytes; of %d uploads, %d answered, %d cut off, %d not sent yet",
			round, killAt, total, n, n-len(cut), len(cut)-notSent, notSent)
	}
	t.Logf("%d rounds in %v: %d uploads acknowledged, %d cut off and retried", rounds, time.Since(start).Round(time.Second), nAcked, nCut)

	out, err := servertest.Command(t, bin, nil, append([]string{"check", "--data", data}, args...)...)
	if err != nil || !strings.Contains(out, "ok:") || strings.Contains(out, "DAMAGED") {
		t.Errorf("damask check: %v\n%s", err, out)
	}
	if disk && !strings.Contains(out, "ok: database intact") {
		t.Errorf("damask check does not find the SQLite database intact:\n%s", out)
	}
}

// checkAssets compares the listed assets with the uploads: each upload is
// one asset with its bytes, and no asset is anything else. With download,
// every asset's file is fetched and compared (else only the last round's).
func checkAssets(t *testing.T, c servertest.Client, all []*crashUpload, round int, download bool) {
	t.Helper()
	listed := listAll(t, c)
	bySHA := map[string]int{}
	for _, a := range listed {
		bySHA[a.SHA256]++
	}
	want := map[int64]bool{}
	for _, u := range all {
		if u.id == 0 {
			continue // cut off, and its retry failed: reported already
		}
		want[u.id] = true
		a, ok := listed[u.id]
		switch {
		case !ok && u.acked:
			t.Errorf("round %d: acknowledged upload %s (asset %d) is lost", round, u.name, u.id)
			continue
		case !ok:
			t.Errorf("round %d: retried upload %s (asset %d) is lost", round, u.name, u.id)
			continue
		case a.SHA256 != u.sha || a.Size != u.size:
			t.Errorf("round %d: asset %d of %s: %d bytes with sha256 %s, sent %d with %s", round, u.id, u.name, a.Size, a.SHA256, u.size, u.sha)
		case bySHA[u.sha] != 1:
			t.Errorf("round %d: %s is stored %d times", round, u.name, bySHA[u.sha])
		}
		if download || strings.HasPrefix(u.name, fmt.Sprintf("r%02d-", round-1)) {
			if got, n := downloadSum(t, c, u.id); got != u.sha || n != u.size {
				t.Errorf("round %d: asset %d of %s downloads as %d bytes with sha256 %s", round, u.id, u.name, n, got)
			}
		}
	}
	for id, a := range listed {
		if !want[id] {
			t.Errorf("round %d: asset %d (%s) is no upload's", round, id, a.Filename)
		}
	}
}

// payloadOf is the content of u: its size in bytes of a stream seeded
// by its seed, so that the test never holds the files in memory.
func payloadOf(u *crashUpload) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], u.seed)
	return io.LimitReader(rand.NewChaCha8(key), u.size)
}

// uploadOutcome is what became of one upload.
type uploadOutcome struct {
	sent       string // SHA-256 of the bytes sent
	status     int    // 0 when no answer came
	id         int64
	body       string
	err        error
	beforeKill bool
	started    bool
}

// sendUpload sends u as POST /api/assets.xml with its Idempotency-Key,
// streaming the body; progress, when set, is told of each chunk of the
// file sent.
func sendUpload(ctx context.Context, c servertest.Client, u *crashUpload, progress func(int)) uploadOutcome {
	var res uploadOutcome
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	h := sha256.New()
	hashc := make(chan string, 1)
	go func() {
		defer func() { hashc <- hex.EncodeToString(h.Sum(nil)) }()
		err := func() error {
			part, err := mw.CreateFormFile("file", u.name)
			if err != nil {
				return err
			}
			src := payloadOf(u)
			buf := make([]byte, 64<<10)
			for {
				n, rerr := src.Read(buf)
				if n > 0 {
					h.Write(buf[:n])
					if _, err := part.Write(buf[:n]); err != nil {
						return err
					}
					if progress != nil {
						progress(n)
					}
				}
				if rerr == io.EOF {
					break
				}
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", c.S.URL("/api/assets.xml"), pr)
	if err != nil {
		res.err = err
		return res
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Idempotency-Key", u.key)
	req.SetBasicAuth(c.Login, c.PW)
	resp, err := c.HTTP.Do(req)
	pr.CloseWithError(errors.New("request over")) // unblocks the writer if the request ended early
	res.sent = <-hashc
	if err != nil {
		res.err = err
		return res
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		res.err = err // the status alone is no acknowledgement
		return res
	}
	res.status, res.body = resp.StatusCode, string(body)
	if resp.StatusCode == http.StatusCreated {
		var a asset
		if err := xml.Unmarshal(body, &a); err != nil {
			res.err = fmt.Errorf("201 with an unreadable asset: %w: %s", err, body)
			return res
		}
		res.id = a.ID
		if a.SHA256 != res.sent {
			res.err = fmt.Errorf("answered sha256 %s, sent %s", a.SHA256, res.sent)
		}
	}
	return res
}
