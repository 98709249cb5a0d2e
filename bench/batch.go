package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"damask/media/mediatest"
	"damask/procstat"
)

// batch: 200 JPEGs of 12 MP uploaded four at once, to the moment the last
// 256 px thumbnail is served, against two vipsthumbnail processes making
// the same thumbnails from the same files (PERFORMANCE.md: <= 1.5x); then
// the server's memory at rest once the queue is empty (< 100 MiB). Each
// round runs a new server over a new data folder, so that no file is
// stored already and the memory is that of one batch.
func (b *bench) batch(ctx context.Context) error {
	dir := filepath.Join(b.cfg.work, "batch")
	files, err := make12MP(ctx, dir, 4, 200)
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "tn", "tn_%s.jpg[Q=82,strip]")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	vipsthumbnail := func() (time.Duration, error) {
		t0 := time.Now()
		var cmds []*exec.Cmd
		for w := range 2 {
			var half []string
			for i := w; i < len(files); i += 2 {
				half = append(half, files[i])
			}
			cmd := exec.CommandContext(ctx, "vipsthumbnail", append(half, "--size", "256", "-o", out)...)
			cmd.Env = append(os.Environ(), "VIPS_CONCURRENCY=1")
			if err := cmd.Start(); err != nil {
				return 0, fmt.Errorf("vipsthumbnail: %w", err)
			}
			cmds = append(cmds, cmd)
		}
		for _, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				return 0, fmt.Errorf("vipsthumbnail: %w", err)
			}
		}
		return time.Since(t0), nil
	}
	// The upload phase's reference: the same files into a sink that
	// writes, fsyncs and renames each, four at once.
	sink, err := b.sink(ctx, filepath.Join(dir, "sink"))
	if err != nil {
		return err
	}
	defer sink.stop()
	var ours, ref, upload, sunk, rest, cpu, workerCPU, serverCPU, rests []float64
	for round := range b.cfg.rounds {
		d, err := vipsthumbnail()
		if err != nil {
			return err
		}
		ref = append(ref, d.Seconds())
		d, err = sendAll(ctx, len(files), 4, func(i int) error {
			_, _, err := post(ctx, sink.url()+"/", files[i], nil)
			return err
		})
		if err != nil {
			return err
		}
		sunk = append(sunk, d.Seconds())
		srv, err := b.serve(ctx, filepath.Join(dir, fmt.Sprintf("data%d", round)))
		if err != nil {
			return err
		}
		ids, up, all, err := batchToThumbs(ctx, srv.url(), files, round)
		if err != nil {
			srv.stop()
			return err
		}
		// The CPU until then, per file: the worker process's (its jobs,
		// whichever stage) and the server's (the uploads, the polls).
		own := procstat.CPU(srv.cmd.Process.Pid)
		tree := srv.cpu()
		// The jobs that had done their later stages by then (metadata and
		// large previews), which took CPU from the thumbnails.
		rests = append(rests, float64(strings.Count(srv.output.String(), `msg="job done"`)))
		workerCPU = append(workerCPU, float64((tree-own).Microseconds())/1000/float64(len(files)))
		serverCPU = append(serverCPU, float64(own.Microseconds())/1000/float64(len(files)))
		ours, upload = append(ours, all.Seconds()), append(upload, up.Seconds())
		// At rest: every job done, the worker process the server started
		// for them ended (10 s after its last job), then a few seconds
		// of nothing.
		if err := waitProcessed(ctx, srv.url(), ids); err != nil {
			srv.stop()
			return err
		}
		srv.waitAlone(time.Minute)
		time.Sleep(5 * time.Second)
		rest = append(rest, float64(srv.rss())/(1<<20))
		cpu = append(cpu, srv.cpu().Seconds())
		srv.stop()
	}
	b.report.add(pair{what: "200 x 12 MP JPEGs uploaded 4 at once, until the last 256 px thumbnail is served", unit: "s",
		ours: ours, ref: ref, refName: "two vipsthumbnail processes", target: "<= 1.5x",
		met: func(o, r float64) bool { return o <= 1.5*r }})
	b.report.add(pair{what: "the upload phase of those 200 files (4 writers, upload and asset)", unit: "s", ours: upload,
		ref: sunk, refName: "write + fsync + rename", target: "<= 1.25x (rate >= 0.8x)",
		met: func(o, r float64) bool { return o <= r/0.8 }})
	b.report.add(pair{what: "worker process CPU per file until the last of those thumbnails is served", unit: "ms", ours: workerCPU})
	b.report.add(pair{what: "server CPU per file until then (uploads and polls)", unit: "ms", ours: serverCPU})
	b.report.add(pair{what: "jobs whose later stages were done by then", unit: "", ours: rests})
	b.report.add(pair{what: "server RSS at rest after rendering those 200 images", unit: "MiB", ours: rest,
		target: "< 100 MiB", met: func(o, _ float64) bool { return o < 100 }})
	b.report.add(pair{what: "server CPU for the whole batch (every stage)", unit: "s", ours: cpu})
	return nil
}

// make12MP makes n different 12 MP JPEGs with vips and count files of
// them, each made unique by a comment segment, so that none shares
// another's renditions.
func make12MP(ctx context.Context, dir string, n, count int) ([]string, error) {
	return mediatest.Photos(ctx, dir, 4000, 3000, n, count)
}

// batchToThumbs uploads the files four at once, each as an asset, and
// polls each asset's 256 px thumbnail until it is served; it answers the
// assets' ids, the time to the last asset made and to the last thumbnail
// served.
func batchToThumbs(ctx context.Context, base string, files []string, round int) (ids []string, upload, all time.Duration, err error) {
	t0 := time.Now()
	ids = make([]string, len(files))
	upload, err = sendAll(ctx, len(files), 4, func(i int) error {
		_, body, err := post(ctx, base+"/api/upload.xml?filename="+url.QueryEscape(fmt.Sprintf("IMG_%d_%04d.jpg", round, i)), files[i], auth)
		if err == nil {
			ids[i], err = assetFrom(ctx, base, uploadID(body), fmt.Sprintf("Photo %d", i))
		}
		return err
	})
	if err != nil {
		return nil, 0, 0, err
	}
	deadline := time.Now().Add(15 * time.Minute)
	for _, id := range ids {
		for {
			st, err := status(ctx, base+"/api/assets/"+id+"/thumbnail?size=256")
			if err != nil {
				return nil, 0, 0, err
			}
			if st == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				return nil, 0, 0, fmt.Errorf("asset %s: no 256 px thumbnail after 15 minutes (status %d)", id, st)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return ids, upload, time.Since(t0), nil
}

// sendAll calls send for 0 to n-1, writers at once, and answers the time
// they took; it stops at the first error and answers it.
func sendAll(ctx context.Context, n, writers int, send func(i int) error) (time.Duration, error) {
	t0 := time.Now()
	next := make(chan int)
	errc := make(chan error, writers)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for i := range next {
				if err := send(i); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for i := range n {
		select {
		case next <- i:
		case err = <-errc:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	return time.Since(t0), err
}

// status GETs u as the admin and answers the status, the body read.
func status(ctx context.Context, u string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	auth(req)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// waitProcessed waits until none of the assets is pending.
func waitProcessed(ctx context.Context, base string, ids []string) error {
	deadline := time.Now().Add(15 * time.Minute)
	for _, id := range ids {
		for {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/assets/"+id+".xml", nil)
			if err != nil {
				return err
			}
			auth(req)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			var doc struct {
				Processing string `xml:"processing"`
			}
			err = xml.NewDecoder(res.Body).Decode(&doc)
			res.Body.Close()
			if err != nil {
				return fmt.Errorf("asset %s: %w", id, err)
			}
			if doc.Processing != "pending" {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("asset %s still pending after 15 minutes", id)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return nil
}
