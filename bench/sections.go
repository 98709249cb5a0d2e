package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const mb = 1e6

// server answers the damask server of the run, started on first use over
// a fresh data folder.
func (b *bench) server(ctx context.Context) (*proc, error) {
	if b.srv != nil {
		return b.srv, nil
	}
	p, err := b.serve(ctx, filepath.Join(b.cfg.work, "data"))
	if err != nil {
		return nil, err
	}
	b.srv = p
	context.AfterFunc(ctx, p.stop)
	return p, nil
}

// auth signs a request in as the admin of the benchmark's library.
func auth(r *http.Request) { r.SetBasicAuth("admin", benchPassword) }

// post sends the file's bytes as one request body, with the credentials
// auth sets (nil: none), and answers the time it took and the answer.
func post(ctx context.Context, u, path string, auth func(*http.Request)) (time.Duration, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, f)
	if err != nil {
		return 0, nil, err
	}
	req.ContentLength = st.Size()
	req.Header.Set("Content-Type", "application/octet-stream")
	if auth != nil {
		auth(req)
	}
	t0 := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("POST %s: %w", u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	d := time.Since(t0)
	if err != nil || res.StatusCode/100 != 2 {
		return 0, nil, fmt.Errorf("POST %s: %d %s %w", u, res.StatusCode, body, err)
	}
	return d, body, nil
}

// fetch reads u to the end, with the credentials auth sets (nil: none) and
// the extra headers, and answers the time and the bytes read.
func fetch(ctx context.Context, u string, auth func(*http.Request), header ...string) (time.Duration, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if auth != nil {
		auth(req)
	}
	t0 := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("GET %s: %w", u, err)
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err != nil {
		return 0, 0, fmt.Errorf("GET %s: %d: %w", u, res.StatusCode, err)
	}
	if res.StatusCode/100 != 2 {
		return 0, 0, fmt.Errorf("GET %s: %w", u, &statusError{code: res.StatusCode})
	}
	return time.Since(t0), n, nil
}

// statusError is an answer that was not a success.
type statusError struct{ code int }

func (e *statusError) Error() string { return fmt.Sprintf("answered %d", e.code) }

// writeRandom makes a file of n random bytes (no compression or dedup can
// help either side).
func writeRandom(path string, n int64, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	if _, err := io.CopyN(f, r, n); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// upload: one large file, then many small ones with four writers.
func (b *bench) upload(ctx context.Context) error {
	srv, err := b.server(ctx)
	if err != nil {
		return err
	}
	sinkDir := filepath.Join(b.cfg.work, "sink")
	plain, err := b.sink(ctx, sinkDir)
	if err != nil {
		return err
	}
	defer plain.stop()
	hashed, err := b.sink(ctx, sinkDir, "--hash")
	if err != nil {
		return err
	}
	defer hashed.stop()

	big := b.bigFile()
	if err := os.MkdirAll(filepath.Dir(big), 0o755); err != nil {
		return err
	}
	if err := writeRandom(big, b.cfg.bigSize, 1); err != nil {
		return fmt.Errorf("make the large file: %w", err)
	}
	// The server's memory at rest, once it has checked the password (an
	// argon2id derivation holds 19 MiB, which the Go runtime keeps a while).
	if _, _, err := fetch(ctx, srv.url()+"/api/account.xml", auth); err != nil {
		return err
	}
	idle := []float64{float64(srv.rss()) / (1 << 20)}
	var ours, ref, refHash, rss, rssTree, tusOurs, tusRSS, tusRSSTree []float64
	var cpuOurs, cpuRef, cpuRefHash, cpuTus []float64 // server CPU seconds per GiB
	rate := func(d time.Duration) float64 { return float64(b.cfg.bigSize) / mb / d.Seconds() }
	// perGiB runs an upload and answers the CPU time p spent on it, per
	// GiB: unlike the wall clock, it hardly moves with the other tenants'
	// load, so it tells a slower code path from a busier machine.
	perGiB := func(p *proc, fn func() error) (float64, error) {
		c0 := p.cpu()
		err := fn()
		return (p.cpu() - c0).Seconds() / (float64(b.cfg.bigSize) / (1 << 30)), err
	}
	for round := range b.cfg.rounds {
		// Each round sends other bytes, so that Damask stores (and
		// fsyncs) a new file every time, as the references do, instead
		// of finding the last round's file already stored.
		if err := stamp(big, round); err != nil {
			return err
		}
		var d time.Duration
		c, err := perGiB(plain, func() (err error) { d, _, err = post(ctx, plain.url()+"/", big, nil); return err })
		if err != nil {
			return err
		}
		ref, cpuRef = append(ref, rate(d)), append(cpuRef, c)
		c, err = perGiB(hashed, func() (err error) { d, _, err = post(ctx, hashed.url()+"/", big, nil); return err })
		if err != nil {
			return err
		}
		refHash, cpuRefHash = append(refHash, rate(d)), append(cpuRefHash, c)
		var body []byte
		var peak, tree int64
		c, err = perGiB(srv, func() (err error) {
			peak, tree, err = srv.peakRSS(func() (err error) {
				d, body, err = post(ctx, srv.url()+"/api/upload.xml?filename=big.bin", big, auth)
				return err
			})
			return err
		})
		if err != nil {
			return err
		}
		b.bigUpload = uploadID(body)
		ours, cpuOurs = append(ours, rate(d)), append(cpuOurs, c)
		rss, rssTree = append(rss, float64(peak)/(1<<20)), append(rssTree, float64(tree)/(1<<20))
		// The same file by the tus protocol, in 64 MiB PATCHes, each
		// fsynced before it is answered; other bytes again.
		if err := stamp(big, round+1000); err != nil {
			return err
		}
		c, err = perGiB(srv, func() (err error) {
			peak, tree, err = srv.peakRSS(func() (err error) {
				d, err = tusPost(ctx, srv.url(), big, auth)
				return err
			})
			return err
		})
		if err != nil {
			return err
		}
		tusOurs, cpuTus = append(tusOurs, rate(d)), append(cpuTus, c)
		tusRSS = append(tusRSS, float64(peak)/(1<<20))
		tusRSSTree = append(tusRSSTree, float64(tree)/(1<<20))
	}
	size := fmt.Sprintf("%.1f GiB", float64(b.cfg.bigSize)/(1<<30))
	b.report.add(pair{what: "upload " + size, unit: "MB/s", ours: ours, ref: ref, refName: "io.Copy + fsync",
		higherBetter: true, target: ">= 0.85x", met: func(o, r float64) bool { return o >= 0.85*r }})
	b.report.add(pair{what: "upload " + size + ", against the reference that hashes", unit: "MB/s", ours: ours, ref: refHash,
		refName: "io.Copy + SHA-256 + fsync", higherBetter: true})
	b.report.add(pair{what: "server CPU per GiB uploaded", unit: "s", ours: cpuOurs, ref: cpuRef, refName: "io.Copy + fsync"})
	b.report.add(pair{what: "server CPU per GiB uploaded, against the reference that hashes", unit: "s", ours: cpuOurs, ref: cpuRefHash,
		refName: "io.Copy + SHA-256 + fsync"})
	b.report.add(pair{what: "server RSS during the upload", unit: "MiB", ours: rss, target: "< 64 MiB",
		met: func(o, _ float64) bool { return o < 64 }})
	// The worker process the server starts as a file begins to come (its
	// libvips and exiftool ready for the file's job), and which runs the
	// jobs of the rounds before: the memory of processing, not of the
	// upload (the batch section's memory at rest holds both).
	b.report.add(pair{what: "server and its worker process during the upload", unit: "MiB", ours: rssTree})
	b.report.add(pair{what: "server RSS at rest before it, signed in", unit: "MiB", ours: idle})
	b.report.add(pair{what: "resumable (tus) upload " + size + " in 64 MiB PATCHes", unit: "MB/s", ours: tusOurs, ref: ref, refName: "io.Copy + fsync",
		higherBetter: true, target: ">= 0.8x", met: func(o, r float64) bool { return o >= 0.8*r }})
	b.report.add(pair{what: "server CPU per GiB uploaded by tus in 64 MiB PATCHes", unit: "s", ours: cpuTus, ref: cpuOurs,
		refName: "the same file in one request"})
	b.report.add(pair{what: "server and its worker process during the tus upload", unit: "MiB", ours: tusRSSTree})
	b.report.add(pair{what: "server RSS during the tus upload", unit: "MiB", ours: tusRSS, target: "< 64 MiB",
		met: func(o, _ float64) bool { return o < 64 }})
	if b.cfg.bigOnly {
		return nil
	}

	// 1,000 files of 100 KB, four at a time.
	small := filepath.Join(b.cfg.work, "small")
	if err := os.MkdirAll(small, 0o755); err != nil {
		return err
	}
	const files, writers = 1000, 4
	for i := range files {
		if err := writeRandom(filepath.Join(small, strconv.Itoa(i)), 100_000, uint64(1000+i)); err != nil {
			return err
		}
	}
	batch := func(u func(i int) string, a func(*http.Request)) (float64, error) {
		d, err := sendAll(ctx, files, writers, func(i int) error {
			_, _, err := post(ctx, u(i), filepath.Join(small, strconv.Itoa(i)), a)
			return err
		})
		return files / d.Seconds(), err
	}
	durable, err := b.sink(ctx, sinkDir, "--syncdir")
	if err != nil {
		return err
	}
	defer durable.stop()
	var refDurable []float64
	ours, ref = nil, nil
	for round := range b.cfg.rounds {
		r, err := batch(func(int) string { return plain.url() + "/" }, nil)
		if err != nil {
			return err
		}
		ref = append(ref, r)
		r, err = batch(func(int) string { return durable.url() + "/" }, nil)
		if err != nil {
			return err
		}
		refDurable = append(refDurable, r)
		// Each round's files differ from the last so that no upload is a
		// copy of a stored file.
		for i := range files {
			if err := writeRandom(filepath.Join(small, strconv.Itoa(i)), 100_000, uint64(round*files+i+5000)); err != nil {
				return err
			}
		}
		o, err := batch(func(i int) string {
			return srv.url() + "/api/upload.xml?filename=" + url.QueryEscape(fmt.Sprintf("small-%d-%d.bin", round, i))
		}, auth)
		if err != nil {
			return err
		}
		ours = append(ours, o)
	}
	// The same files by `damask push` (issue #17): the command-line
	// client, by the resumable protocol (each file whole in its creation
	// request), 4 at once, beside the same raw ceiling, alternately.
	token, err := apiToken(ctx, srv.url())
	if err != nil {
		return err
	}
	var pushed, pushRef []float64
	for round := range b.cfg.rounds {
		r, err := batch(func(int) string { return plain.url() + "/" }, nil)
		if err != nil {
			return err
		}
		pushRef = append(pushRef, r)
		// Other bytes again, so that push's check against the library's
		// SHA-256s skips none.
		for i := range files {
			if err := writeRandom(filepath.Join(small, strconv.Itoa(i)), 100_000, uint64(round*files+i+900_000)); err != nil {
				return err
			}
		}
		d, err := b.push(ctx, srv.url(), token, small, files)
		if err != nil {
			return err
		}
		pushed = append(pushed, files/d.Seconds())
	}
	b.report.add(pair{what: "upload 1,000 x 100 KB, 4 writers", unit: "files/s", ours: ours, ref: ref,
		refName: "write + fsync + rename", higherBetter: true, target: ">= 0.8x", met: func(o, r float64) bool { return o >= 0.8*r }})
	b.report.add(pair{what: "upload 1,000 x 100 KB, 4 writers, against a sink whose names are durable too", unit: "files/s", ours: ours, ref: refDurable,
		refName: "write + fsync + rename + fsync of the folder", higherBetter: true})
	b.report.add(pair{what: "`damask push` of 1,000 x 100 KB (4 at once, as assets)", unit: "files/s", ours: pushed, ref: pushRef,
		refName: "write + fsync + rename", higherBetter: true, target: ">= 0.8x", met: func(o, r float64) bool { return o >= 0.8*r }})
	return nil
}

// apiToken makes an API token of the benchmark's admin, for the
// command-line client.
func apiToken(ctx context.Context, base string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/tokens.xml", strings.NewReader("name=bench"))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	auth(req)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("make an API token: %w", err)
	}
	defer res.Body.Close()
	var t struct {
		Token string `xml:"token"`
	}
	if err := xml.NewDecoder(res.Body).Decode(&t); err != nil || res.StatusCode != http.StatusCreated || t.Token == "" {
		return "", fmt.Errorf("make an API token: %d %w", res.StatusCode, err)
	}
	return t.Token, nil
}

// push runs `damask push DIR` against the server at base, checks that it
// sent every one of the files, and answers how long it took, start to exit.
func (b *bench) push(ctx context.Context, base, token, dir string, files int) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, b.damask, "push", "--jobs", "4", "--json", dir)
	cmd.Env = append(os.Environ(), "DAMASK_URL="+base, "DAMASK_TOKEN="+token,
		"DAMASK_CONFIG_DIR="+filepath.Join(b.cfg.work, "push-config"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("damask push: %w: %s", err, lastLines(out.String(), 5))
	}
	d := time.Since(t0)
	if n := strings.Count(out.String(), `"event":"done"`); n != files {
		return 0, fmt.Errorf("damask push: %d files sent, want %d: %s", n, files, lastLines(out.String(), 5))
	}
	return d, nil
}

// lastLines answers the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func (b *bench) bigFile() string { return filepath.Join(b.cfg.work, "www", "big.bin") }

// stamp writes n into the first bytes of the file at path, so that its
// contents differ from any earlier stamp's.
func stamp(path string, n int) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt([]byte(fmt.Sprintf("round %08d", n)), 0); err != nil {
		f.Close()
		return fmt.Errorf("stamp %s: %w", path, err)
	}
	return f.Close()
}

// uploadID reads the id of an upload document.
func uploadID(doc []byte) string {
	var u struct {
		ID string `xml:"id"`
	}
	xml.Unmarshal(doc, &u)
	return u.ID
}

// assetFrom makes an asset of an upload as the admin and answers its id.
func assetFrom(ctx context.Context, base, upload, title string) (string, error) {
	return assetAs(ctx, base, upload, title, auth)
}

// assetAs makes an asset of an upload with the credentials auth sets.
func assetAs(ctx context.Context, base, upload, title string, auth func(*http.Request)) (string, error) {
	form := url.Values{"asset[upload_id]": {upload}, "asset[title]": {title}, "asset[tags]": {"bench,harbour,print"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/assets.xml", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	auth(req)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("create asset: %d %s", res.StatusCode, body)
	}
	return uploadID(body), nil
}

// download: the large file whole and a range of it, against nginx.
func (b *bench) download(ctx context.Context) error {
	srv, err := b.server(ctx)
	if err != nil {
		return err
	}
	big := b.bigFile()
	if b.bigUpload == "" {
		if err := os.MkdirAll(filepath.Dir(big), 0o755); err != nil {
			return err
		}
		if err := writeRandom(big, b.cfg.bigSize, 1); err != nil {
			return err
		}
		_, body, err := post(ctx, srv.url()+"/api/upload.xml?filename=big.bin", big, auth)
		if err != nil {
			return err
		}
		b.bigUpload = uploadID(body)
	}
	id, err := assetFrom(ctx, srv.url(), b.bigUpload, "The large file")
	if err != nil {
		return err
	}
	nginx, err := b.nginx(ctx, filepath.Dir(big))
	if err != nil {
		return err
	}
	defer nginx.stop()
	// The first download of a file after a start reads it once more to
	// check its SHA-256 (integrity on read; the check is then remembered):
	// measured on its own, so that it does not land in one of the rounds.
	// nginx reads its copy once too, so that both files are in the page
	// cache when the rounds start.
	if _, _, err := fetch(ctx, "http://"+nginx.addr+"/big.bin", nil); err != nil {
		return err
	}
	d, n, err := fetch(ctx, srv.url()+"/api/assets/download/"+id, auth)
	if err != nil {
		return err
	}
	size := fmt.Sprintf("%.1f GiB", float64(b.cfg.bigSize)/(1<<30))
	b.report.add(pair{what: "download " + size + ", first after the upload (checks its SHA-256 first)", unit: "MB/s",
		ours: []float64{float64(n) / mb / d.Seconds()}})
	// A download takes a second or two: more rounds than the rest, since
	// the spread of a round on a busy machine is as wide as the target.
	rounds := max(b.cfg.rounds, 7)
	ranged := []string{"Range", fmt.Sprintf("bytes=%d-%d", b.cfg.bigSize/4, b.cfg.bigSize/4+b.cfg.bigSize/4-1)}
	for _, c := range []struct {
		what   string
		header []string
	}{{"download", nil}, {"download a quarter with Range", ranged}} {
		var ours, ref []float64
		for range rounds {
			d, n, err := fetch(ctx, "http://"+nginx.addr+"/big.bin", nil, c.header...)
			if err != nil {
				return err
			}
			ref = append(ref, float64(n)/mb/d.Seconds())
			d, n, err = fetch(ctx, srv.url()+"/api/assets/download/"+id, auth, c.header...)
			if err != nil {
				return err
			}
			ours = append(ours, float64(n)/mb/d.Seconds())
		}
		b.report.add(pair{what: c.what + " " + size, unit: "MB/s", ours: ours, ref: ref,
			refName: "nginx sendfile", higherBetter: true, target: ">= 0.95x", met: func(o, r float64) bool { return o >= 0.95*r }})
	}
	return nil
}

// nginx serves dir on a free loopback port with sendfile, as Debian's
// nginx does by default.
func (b *bench) nginx(ctx context.Context, dir string) (*proc, error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	prefix := filepath.Join(b.cfg.work, "nginx")
	if err := os.MkdirAll(filepath.Join(prefix, "logs"), 0o755); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`daemon off; master_process off; worker_processes 1;
error_log %[1]s/logs/error.log; pid %[1]s/nginx.pid;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fcgi;
  uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  types { application/xml xml; application/octet-stream bin; }
  server { listen %[2]s; root %[3]s; } }
`, prefix, addr, dir)
	confPath := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "-p", prefix, "-c", confPath)
	p := &proc{cmd: cmd, addr: addr, output: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.output, p.output
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start nginx (make bench installs it): %w", err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("nginx exited: %s", p.output)
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.stop()
	return nil, fmt.Errorf("nginx did not listen on %s", addr)
}

// settled waits until no asset of the first 200 is waiting for its
// processing.
func settled(ctx context.Context, base string) error {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		pending := false
		for _, page := range []string{"1", "2"} {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/assets.xml?per_page=100&page="+page, nil)
			if err != nil {
				return err
			}
			auth(req)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			pending = pending || bytes.Contains(body, []byte("<processing>pending</processing>"))
		}
		if !pending {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("assets still pending after 10 minutes")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// get: one asset's document and the first page of a list, 64 connections,
// Basic auth on every request, against a bare handler of the same bytes.
func (b *bench) get(ctx context.Context) error {
	srv, err := b.server(ctx)
	if err != nil {
		return err
	}
	doc := filepath.Join(b.cfg.work, "doc")
	if err := os.MkdirAll(doc, 0o755); err != nil {
		return err
	}
	var first string
	for i := range 200 {
		p := filepath.Join(doc, "f")
		if err := os.WriteFile(p, []byte(fmt.Sprintf("asset %d of the listing", i)), 0o644); err != nil {
			return err
		}
		_, body, err := post(ctx, srv.url()+"/api/upload.xml?filename="+fmt.Sprintf("IMG_%04d.jpg", i), p, auth)
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
	}
	// Each file's processing commits, and a commit makes the server render
	// its documents again: the reads are measured on a library at rest.
	if err := settled(ctx, srv.url()); err != nil {
		return err
	}
	for _, c := range []struct{ what, path, target string }{
		{"GET /api/assets/ID.xml", "/api/assets/" + first + ".xml", ">= 20,000 req/s"},
		{"GET /api/assets.xml?per_page=25", "/api/assets.xml?per_page=25", ">= 4,100 req/s (10x the best peer's listing)"},
	} {
		// The bare handler serves the very bytes Damask answers.
		res, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.url()+c.path, nil)
		if err != nil {
			return err
		}
		auth(res)
		ans, err := http.DefaultClient.Do(res)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(ans.Body)
		ans.Body.Close()
		docFile := filepath.Join(doc, "answer.xml")
		if err := os.WriteFile(docFile, body, 0o644); err != nil {
			return err
		}
		bare, err := start(ctx, "listening on ", nil, b.self, "bare", "--file", docFile)
		if err != nil {
			return err
		}
		var ours, ref, ourP50, refP50, ourP99, refP99 []float64
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		for range b.cfg.rounds {
			r, err := loadRun(ctx, bare.url()+c.path, 64, b.cfg.load, nil)
			if err != nil {
				bare.stop()
				return err
			}
			ref, refP50, refP99 = append(ref, r.rate), append(refP50, ms(r.p50)), append(refP99, ms(r.p99))
			o, err := loadRun(ctx, srv.url()+c.path, 64, b.cfg.load, auth)
			if err != nil {
				bare.stop()
				return err
			}
			if o.errors > 0 {
				b.log.Warn("bench: errors under load", "path", c.path, "errors", o.errors)
			}
			ours, ourP50, ourP99 = append(ours, o.rate), append(ourP50, ms(o.p50)), append(ourP99, ms(o.p99))
		}
		bare.stop()
		min := 20000.0
		if strings.Contains(c.target, "4,100") {
			min = 4100
		}
		b.report.add(pair{what: c.what + ", 64 connections", unit: "req/s", ours: ours, ref: ref, refName: "bare Go handler",
			higherBetter: true, target: c.target, met: func(o, _ float64) bool { return o >= min }})
		b.report.add(pair{what: c.what + ", p50", unit: "ms", ours: ourP50, ref: refP50, refName: "bare Go handler"})
		b.report.add(pair{what: c.what + ", p99", unit: "ms", ours: ourP99, ref: refP99, refName: "bare Go handler",
			target: "<= 15 ms", met: func(o, _ float64) bool { return o <= 15 }})
	}
	return nil
}
