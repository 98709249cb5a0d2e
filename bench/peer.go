package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"damask/media/mediatest"
)

// filebrowserVersion is the peer's version: scripts/setup.sh bench builds
// the same one (FILEBROWSER_VERSION) into the folder of filebrowserBin.
const filebrowserVersion = "v2.32.0"

// filebrowserBin is where scripts/setup.sh bench puts the peer's binary.
func filebrowserBin() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "filebrowser"
	}
	return filepath.Join(dir, "damask-bench", "filebrowser-"+filebrowserVersion)
}

// fileBrowser is a running filebrowser, signed in as its admin.
type fileBrowser struct {
	*proc
	root  string // the folder it serves
	token string // the session POST /api/login answered, sent as X-Auth
}

func (f *fileBrowser) auth(r *http.Request) { r.Header.Set("X-Auth", f.token) }

// resource is the URL of a path under filebrowser's root.
func (f *fileBrowser) resource(api, path string) string {
	return f.url() + "/api/" + api + "/" + (&url.URL{Path: path}).EscapedPath()
}

// startFilebrowser starts filebrowser with its database, the folder it
// serves and its thumbnail cache in dir, set up on first use as its
// documentation says (config init, users add), and signs in with the
// password as its web page does (POST /api/login).
func (b *bench) startFilebrowser(ctx context.Context, dir string) (*fileBrowser, error) {
	bin := b.cfg.filebrowser
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("filebrowser %s (scripts/setup.sh bench builds it): %w", filebrowserVersion, err)
	}
	db, root := filepath.Join(dir, "filebrowser.db"), filepath.Join(dir, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	flags := []string{"--database", db, "--address", "127.0.0.1", "--port", "0", "--root", root}
	if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
		for _, args := range [][]string{
			append([]string{"config", "init"}, flags...),
			{"users", "add", "admin", benchPassword, "--perm.admin", "--database", db},
		} {
			if out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput(); err != nil {
				return nil, fmt.Errorf("filebrowser %s %s: %w: %s", args[0], args[1], err, out)
			}
		}
	}
	p, err := start(ctx, "Listening on ", nil, bin, append(flags, "--cache-dir", filepath.Join(dir, "cache"))...)
	if err != nil {
		return nil, err
	}
	login, _ := json.Marshal(map[string]string{"username": "admin", "password": benchPassword, "recaptcha": ""})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url()+"/api/login", bytes.NewReader(login))
	if err != nil {
		p.stop()
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("filebrowser login: %w", err)
	}
	token, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s %s", res.Status, token)
	}
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("filebrowser login: %w", err)
	}
	return &fileBrowser{proc: p, root: root, token: string(token)}, nil
}

// peer: Damask beside filebrowser, a self-hosted file manager written in
// Go, on the same work in the same run, alternately: one item's metadata
// and a listing of 100 at 64 connections, a 1 GiB upload with each
// server's peak memory, 200 JPEGs of 12 MP to their 256 px thumbnails,
// and the memory at rest after them. Beside the upload, the plain sink
// with and without fsync: filebrowser never syncs what it stores, and the
// pair says what that saves on this disk.
func (b *bench) peer(ctx context.Context) error {
	dir := filepath.Join(b.cfg.work, "peer")
	b.report.peerName = "filebrowser " + filebrowserVersion
	if err := b.peerReads(ctx, dir); err != nil {
		return err
	}
	if err := b.peerUpload(ctx, dir); err != nil {
		return err
	}
	return b.peerBatch(ctx, dir)
}

// peerReads: the same 100 small JPEGs on both, then one's metadata and
// the listing of the 100, each at 64 connections. Real JPEGs, as a
// library holds: filebrowser reads the size of each image for its
// metadata, and logs every file it cannot.
func (b *bench) peerReads(ctx context.Context, dir string) error {
	srv, err := b.serve(ctx, filepath.Join(dir, "damask"))
	if err != nil {
		return err
	}
	defer srv.stop()
	fb, err := b.startFilebrowser(ctx, filepath.Join(dir, "filebrowser"))
	if err != nil {
		return err
	}
	defer fb.stop()
	files, err := mediatest.Photos(ctx, filepath.Join(dir, "small"), 640, 480, 2, 100)
	if err != nil {
		return err
	}
	var first string
	for i, file := range files {
		name := fmt.Sprintf("IMG_%04d.jpg", i)
		_, body, err := post(ctx, srv.url()+"/api/upload.xml?filename="+name, file, auth)
		if err != nil {
			return err
		}
		id, err := assetFrom(ctx, srv.url(), uploadID(body), fmt.Sprintf("Harbour at dusk %d", i))
		if err != nil {
			return err
		}
		if first == "" {
			first = id
		}
		if _, _, err := post(ctx, fb.resource("resources", "list/"+name)+"?override=true", file, fb.auth); err != nil {
			return err
		}
	}
	if err := settled(ctx, srv.url()); err != nil {
		return err
	}
	for _, c := range []struct{ what, ours, theirs string }{
		{"one item's metadata: GET /api/assets/ID.xml, GET /api/resources/PATH", srv.url() + "/api/assets/" + first + ".xml",
			fb.resource("resources", "list/IMG_0000.jpg")},
		{"a listing of 100: GET /api/assets.xml?per_page=100, GET /api/resources/FOLDER/ of 100 files", srv.url() + "/api/assets.xml?per_page=100",
			fb.resource("resources", "list") + "/"},
	} {
		var ours, theirs, ourP99, theirP99 []float64
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		for range b.cfg.rounds {
			o, err := loadRun(ctx, c.ours, 64, b.cfg.load, auth)
			if err != nil {
				return err
			}
			t, err := loadRun(ctx, c.theirs, 64, b.cfg.load, fb.auth)
			if err != nil {
				return err
			}
			if o.errors+t.errors > 0 {
				b.log.Warn("bench: errors under load", "what", c.what, "damask", o.errors, "filebrowser", t.errors)
			}
			ours, ourP99 = append(ours, o.rate), append(ourP99, ms(o.p99))
			theirs, theirP99 = append(theirs, t.rate), append(theirP99, ms(t.p99))
		}
		b.report.addPeer(pair{what: c.what + ", 64 connections", unit: "req/s", ours: ours, ref: theirs, higherBetter: true})
		b.report.addPeer(pair{what: c.what + ", p99", unit: "ms", ours: ourP99, ref: theirP99})
	}
	return nil
}

// peerUpload: the same 1 GiB file in one request to each, with each
// server's peak memory and CPU, and to the plain sink with and without
// fsync, and with SHA-256: the steps from what filebrowser does to what
// Damask promises.
func (b *bench) peerUpload(ctx context.Context, dir string) error {
	srv, err := b.serve(ctx, filepath.Join(dir, "damask"))
	if err != nil {
		return err
	}
	defer srv.stop()
	fb, err := b.startFilebrowser(ctx, filepath.Join(dir, "filebrowser"))
	if err != nil {
		return err
	}
	defer fb.stop()
	sinkDir := filepath.Join(dir, "sink")
	synced, err := b.sink(ctx, sinkDir)
	if err != nil {
		return err
	}
	defer synced.stop()
	unsynced, err := b.sink(ctx, sinkDir, "--nosync")
	if err != nil {
		return err
	}
	defer unsynced.stop()
	hashed, err := b.sink(ctx, sinkDir, "--hash")
	if err != nil {
		return err
	}
	defer hashed.stop()
	if err := signIn(ctx, srv); err != nil {
		return err
	}
	big := filepath.Join(dir, "big.bin")
	if err := writeRandom(big, b.cfg.bigSize, 2); err != nil {
		return fmt.Errorf("make the large file: %w", err)
	}
	rate := func(d time.Duration) float64 { return float64(b.cfg.bigSize) / mb / d.Seconds() }
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	// perGiB runs an upload and answers the CPU time p spent on it, per GiB.
	perGiB := func(p *proc, fn func() error) (float64, error) {
		c0 := p.cpu()
		err := fn()
		return (p.cpu() - c0).Seconds() / (float64(b.cfg.bigSize) / (1 << 30)), err
	}
	var ours, theirs, ourRSS, theirRSS, ourOwn, theirOwn, ourCPU, theirCPU []float64
	var withSync, withoutSync, withHash []float64
	for round := range b.cfg.rounds {
		// New bytes every round: Damask would find the last round's
		// file stored already.
		if err := stamp(big, round+2000); err != nil {
			return err
		}
		var d time.Duration
		var peak, own int64
		c, err := perGiB(srv, func() (err error) {
			peak, own, err = srv.peakMemory(func() (err error) {
				d, _, err = post(ctx, srv.url()+"/api/upload.xml?filename=big.bin", big, auth)
				return err
			})
			return err
		})
		if err != nil {
			return err
		}
		ours, ourRSS, ourOwn, ourCPU = append(ours, rate(d)), append(ourRSS, mib(peak)), append(ourOwn, mib(own)), append(ourCPU, c)
		name := fmt.Sprintf("big/big-%d.bin", round)
		c, err = perGiB(fb.proc, func() (err error) {
			peak, own, err = fb.peakMemory(func() (err error) {
				d, _, err = post(ctx, fb.resource("resources", name)+"?override=true", big, fb.auth)
				return err
			})
			return err
		})
		if err != nil {
			return err
		}
		theirs, theirRSS, theirOwn, theirCPU = append(theirs, rate(d)), append(theirRSS, mib(peak)), append(theirOwn, mib(own)), append(theirCPU, c)
		// Removed at once, as the sinks remove theirs: the pages it
		// never synced are dropped, not written under the next upload.
		if err := os.Remove(filepath.Join(fb.root, name)); err != nil {
			return err
		}
		if d, _, err = post(ctx, synced.url()+"/", big, nil); err != nil {
			return err
		}
		withSync = append(withSync, rate(d))
		if d, _, err = post(ctx, unsynced.url()+"/", big, nil); err != nil {
			return err
		}
		withoutSync = append(withoutSync, rate(d))
		if d, _, err = post(ctx, hashed.url()+"/", big, nil); err != nil {
			return err
		}
		withHash = append(withHash, rate(d))
	}
	size := fmt.Sprintf("%.1f GiB", float64(b.cfg.bigSize)/(1<<30))
	b.report.addPeer(pair{what: "upload " + size + " in one request", unit: "MB/s", ours: ours, ref: theirs, higherBetter: true,
		note: "Damask hashes it and fsyncs it before answering; filebrowser does neither"})
	b.report.addPeer(pair{what: "server RSS during that upload (peak)", unit: "MiB", ours: ourRSS, ref: theirRSS})
	b.report.addPeer(pair{what: "the same, less the pages that map files (the program, shared libraries)", unit: "MiB", ours: ourOwn, ref: theirOwn})
	b.report.addPeer(pair{what: "server CPU per GiB uploaded", unit: "s", ours: ourCPU, ref: theirCPU})
	row := func(xs []float64) string { m, lo, hi := stats(xs); return figure(m, lo, hi, "MB/s") }
	um, _, _ := stats(withoutSync)
	sm, _, _ := stats(withSync)
	hm, _, _ := stats(withHash)
	om, _, _ := stats(ours)
	fm, _, _ := stats(theirs)
	b.report.section("What never fsyncing buys filebrowser", fmt.Sprintf(
		"The plain sink (`bench sink`: io.Copy to a new file, rename) with its fsync left out (`bench sink --nosync`), as filebrowser "+
			"stores an upload, then with the fsync, then with the SHA-256 as well, which is what Damask promises of every upload; the "+
			"same %s file, in the same rounds as the uploads above:\n\n"+
			"| upload %s | MB/s | of the sink without fsync |\n|---|---|---|\n"+
			"| io.Copy + rename, no fsync (as filebrowser) | %s | 1.00x |\n"+
			"| io.Copy + fsync + rename | %s | %.2fx |\n"+
			"| io.Copy + SHA-256 + fsync + rename | %s | %.2fx |\n"+
			"| filebrowser | %s | %.2fx |\n"+
			"| Damask | %s | %.2fx |\n\n"+
			"What the fsync buys: an upload that filebrowser has answered 200 to can be lost, or left short, by a power cut or a "+
			"crash of the machine within the kernel's writeback delay (30 s by default); one that Damask has answered is on the disk.",
		size, size, row(withoutSync), row(withSync), sm/um, row(withHash), hm/um, row(theirs), fm/um, row(ours), om/um))
	return nil
}

// peerBatch: 200 JPEGs of 12 MP uploaded four at once to each, until the
// last 256 px thumbnail is served, then each server's memory at rest. Each
// round starts both servers afresh, so that the memory is that of one
// batch. filebrowser makes a thumbnail when it is asked for one (GET
// /api/preview/thumb/PATH): each of its four writers asks for the
// thumbnail of the file it has just uploaded, the quickest a client can
// have them all.
func (b *bench) peerBatch(ctx context.Context, dir string) error {
	files, err := make12MP(ctx, filepath.Join(dir, "jpegs"), 4, 200)
	if err != nil {
		return err
	}
	var ours, theirs, ourRest, theirRest, ourOwn, theirOwn []float64
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	for round := range b.cfg.rounds {
		data := filepath.Join(dir, fmt.Sprintf("batch-damask-%d", round))
		srv, err := b.serve(ctx, data)
		if err != nil {
			return err
		}
		if err := signIn(ctx, srv); err != nil {
			srv.stop()
			return err
		}
		ids, _, all, err := batchToThumbs(ctx, srv.url(), files, round)
		if err == nil {
			err = waitProcessed(ctx, srv.url(), ids)
		}
		if err != nil {
			srv.stop()
			return err
		}
		srv.waitAlone(time.Minute)
		time.Sleep(5 * time.Second)
		ours, ourRest, ourOwn = append(ours, all.Seconds()), append(ourRest, mib(srv.rss())), append(ourOwn, mib(srv.own()))
		srv.stop()
		os.RemoveAll(data)

		fbDir := filepath.Join(dir, fmt.Sprintf("batch-filebrowser-%d", round))
		fb, err := b.startFilebrowser(ctx, fbDir)
		if err != nil {
			return err
		}
		d, err := filebrowserBatch(ctx, fb, files)
		if err != nil {
			fb.stop()
			return err
		}
		time.Sleep(5 * time.Second)
		theirs, theirRest, theirOwn = append(theirs, d.Seconds()), append(theirRest, mib(fb.rss())), append(theirOwn, mib(fb.own()))
		fb.stop()
		os.RemoveAll(fbDir)
	}
	b.report.addPeer(pair{what: "200 x 12 MP JPEGs uploaded 4 at once, until the last 256 px thumbnail is served", unit: "s",
		ours: ours, ref: theirs})
	b.report.addPeer(pair{what: "server RSS at rest after those 200 images", unit: "MiB", ours: ourRest, ref: theirRest})
	b.report.addPeer(pair{what: "the same, less the pages that map files", unit: "MiB", ours: ourOwn, ref: theirOwn})
	return nil
}

// filebrowserBatch uploads the files four at once into a folder of
// filebrowser, each writer asking for the 256 px thumbnail of each file
// once it is stored, and answers the time until the last is served.
func filebrowserBatch(ctx context.Context, fb *fileBrowser, files []string) (time.Duration, error) {
	t0 := time.Now()
	next := make(chan int)
	errc := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range next {
				name := fmt.Sprintf("photos/IMG_%04d.jpg", i)
				_, _, err := post(ctx, fb.resource("resources", name)+"?override=true", files[i], fb.auth)
				if err == nil {
					var n int64
					_, n, err = fetch(ctx, fb.resource("preview/thumb", name), fb.auth)
					if err == nil && n == 0 {
						err = fmt.Errorf("filebrowser: an empty thumbnail of %s", name)
					}
				}
				if err != nil {
					errc <- err
					return
				}
			}
		})
	}
	for i := range files {
		select {
		case next <- i:
		case err := <-errc:
			close(next)
			wg.Wait()
			return 0, err
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errc:
		return 0, err
	default:
	}
	return time.Since(t0), nil
}

// signIn sends Damask one request with the admin's credentials before a
// measure, as filebrowser's login is made before its: the first check of
// a password derives its hash (argon2id), and a server just started may
// still be starting its processing tools, which an upload waits for.
func signIn(ctx context.Context, srv *proc) error {
	_, _, err := fetch(ctx, srv.url()+"/api/account.xml", auth)
	return err
}
