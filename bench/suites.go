package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"damask/synth"
)

// seedAuth signs a request in as the admin of a catalogue of `damask dev
// seed`, whose password that command sets.
func seedAuth(r *http.Request) { r.SetBasicAuth("admin", "seed-password") }

// search: import of the synthetic catalogue, startup on it, and every
// query class of the search language through the API and the library.
func (b *bench) search(ctx context.Context) error {
	data := filepath.Join(b.cfg.work, "seed")
	store, err := b.storeArgs(ctx, data)
	if err != nil {
		return err
	}
	seed := func(args ...string) (float64, error) {
		t0 := time.Now()
		args = append([]string{"dev", "seed", "--assets", strconv.Itoa(b.cfg.assets)}, args...)
		if out, err := exec.CommandContext(ctx, b.damask, args...).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, out)
		}
		return time.Since(t0).Seconds(), nil
	}
	n := fmt.Sprintf("%d", b.cfg.assets)
	var raws []float64
	rawLoad := func() error {
		// The reference on SQLite: the same catalogue loaded by the raw
		// engine into the same schema and index (`dev seed --raw`), in a
		// folder of its own, before and after the import.
		if b.dbs != nil {
			return nil
		}
		dir := filepath.Join(b.cfg.work, "seed-raw")
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		s, err := seed("--raw", "--data", dir)
		raws = append(raws, s)
		return err
	}
	if err := rawLoad(); err != nil {
		return err
	}
	imported, err := seed(store...)
	if err != nil {
		return err
	}
	if err := rawLoad(); err != nil {
		return err
	}
	imp := pair{what: "import " + n + " synthetic assets (`damask dev seed`)", unit: "s", ours: []float64{imported},
		target: "< 60 s", met: func(o, _ float64) bool { return o < 60 }}
	if len(raws) > 0 {
		imp.ref, imp.refName = raws, "the raw engine's load of the same rows and index"
		imp.target = "< 60 s and <= 1.25x (>= 0.8x the rate)"
		imp.met = func(o, r float64) bool { return o < 60 && o <= 1.25*r }
	}
	b.report.add(imp)

	// Startup: from exec to the first answer of the API.
	var starts []float64
	for range b.cfg.rounds {
		t0 := time.Now()
		p, err := b.serve(ctx, data, "--no-workers")
		if err != nil {
			return err
		}
		_, _, err = fetch(ctx, p.url()+"/api/assets.xml?per_page=1", seedAuth)
		d := time.Since(t0)
		p.stop()
		if err != nil {
			return err
		}
		starts = append(starts, d.Seconds())
	}
	b.report.add(pair{what: "startup with " + n + " assets, to the first answer", unit: "s", ours: starts,
		target: "< 1 s", met: func(o, _ float64) bool { return o < 1 }})

	if err := b.searchCost(ctx, data); err != nil {
		return fmt.Errorf("search cost: %w", err)
	}

	out, err := exec.CommandContext(ctx, b.damask, append([]string{"dev", "bench-search", "--runs", "50"}, store...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("dev bench-search: %w: %s", err, out)
	}
	table := string(out)
	// The targets of PERFORMANCE.md on SQLite; on PostgreSQL, a server
	// reached over a socket, those of the issue that measured it.
	target, raw := 10.0, "the very statements the SQLite store runs for it (the count, the page, the page's "+
		"tags; `sqlite.DB.SearchStatements`), prepared once on a plain read-only connection to the same file "+
		"and read as bytes"
	if b.dbs != nil {
		target, raw = 20, "the statement of the newest 1,001 matches the PostgreSQL store starts every list with "+
			"(the total, the candidates relevance ranks and most pages come from it; `postgres.DB.NewestStatement`), "+
			"on a plain connection with the store's planner settings, reading the ids; its plan follows the table "+
			"(the fallback classes' plan is that of the statement that finds nothing, before the fallback's own)"
	}
	var missed []string
	// The forgiving search (no asset has all the words: those with most of
	// them, ranked), its worst class: the API's p95 and the library's.
	var fallbackAPI, fallbackLib float64
	fallbacks := 0
	for _, line := range strings.Split(table, "\n") {
		f := strings.Split(line, "|")
		if len(f) < 7 || !strings.HasSuffix(strings.TrimSpace(f[4]), "ms") {
			continue
		}
		p95, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(f[4]), " ms"), 64)
		if err == nil && p95 >= target && !strings.Contains(f[1], "count") {
			missed = append(missed, fmt.Sprintf("%s (%.1f ms)", strings.TrimSpace(f[1]), p95))
		}
		lib, err2 := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(f[6]), " ms"), 64)
		if err == nil && err2 == nil && strings.HasPrefix(strings.TrimSpace(f[1]), "fallback") {
			fallbacks++
			fallbackAPI, fallbackLib = max(fallbackAPI, p95), max(fallbackLib, lib)
		}
	}
	if fallbacks > 0 {
		b.report.add(pair{what: fmt.Sprintf("search at %s assets that falls back to most words, page-1 API p95, the worst of %d classes", n, fallbacks),
			unit: "ms", ours: []float64{fallbackAPI}, note: fmt.Sprintf("the library's p95 %.2f ms", fallbackLib),
			target: fmt.Sprintf("< %.0f ms", target), met: func(o, _ float64) bool { return o < target }})
	}
	verdict := fmt.Sprintf("Every query class met the page-1 target (API p95 < %.0f ms).", target)
	if len(missed) > 0 {
		verdict = fmt.Sprintf("Page-1 target (API p95 < %.0f ms) **missed** by: %s.", target, strings.Join(missed, ", "))
	}
	b.report.section("Search at "+n+" assets", fmt.Sprintf(
		"Each query ran 50 times after 5 to warm up, alternating between the HTTP API (Basic auth on every "+
			"request, through the whole handler stack), the library without HTTP (parse, resolve, store) and the "+
			"raw engine query: %s. API minus library is the API's overhead (target < 2 ms); library / raw is what the "+
			"library and the store add beyond the engine (parsing, tag lookups, a read transaction, rows made into "+
			"assets).\n\n%s\n\n%s", raw, table, verdict))
	return nil
}

// benchDomain is the parent domain of the accounts of searchCost.
const benchDomain = "bench.test"

// searchCost: another account's GET /api/assets/ID.xml while four
// clients of the catalogue's admin send the worst query, against the same
// GET alone, on a server with its shipped limits of searches (at once per
// user, time), alternately.
func (b *bench) searchCost(ctx context.Context, data string) error {
	// The cap on searches at once as shipped, which serve lifts for the
	// load runs of one user; the time limit is the default.
	p, err := b.serve(ctx, data, "--no-workers", "--domain", benchDomain, "--max-searches-per-user", "2")
	if err != nil {
		return err
	}
	defer p.stop()
	const pw = "other-password"
	store, err := b.storeArgs(ctx, data)
	if err != nil {
		return err
	}
	for _, args := range [][]string{
		{"account", "create", "other", "--holder", "holder", "--email", "holder@other.test", "--plan", "deluxe"},
		{"account", "api", "other", "on"},
	} {
		cmd := exec.CommandContext(ctx, b.damask, append(args, store...)...)
		cmd.Env = append(os.Environ(), "DAMASK_PASSWORD="+pw)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w: %s", strings.Join(args[:2], " "), err, out)
		}
	}
	other := func(r *http.Request) {
		r.Host = "other." + benchDomain
		r.SetBasicAuth("holder", pw)
	}
	file := filepath.Join(b.cfg.work, "other.txt")
	if err := os.WriteFile(file, []byte("a note of another account"), 0o644); err != nil {
		return err
	}
	_, body, err := post(ctx, p.url()+"/api/upload.xml?filename=note.txt", file, other)
	if err != nil {
		return err
	}
	id, err := assetAs(ctx, p.url(), uploadID(body), "A note", other)
	if err != nil {
		return err
	}
	get := p.url() + "/api/assets/" + id + ".xml"
	// The catalogue of dev seed (seed 1), as facets and sorted by title.
	worstQuery := synth.New(1, []int64{0}, 1, time.Now()).CostliestQuery()
	attack := []string{
		p.url() + "/api/assets/facets.xml?" + url.Values{"query": {worstQuery}}.Encode(),
		p.url() + "/api/assets.xml?" + url.Values{"query": {worstQuery}, "sort": {"title"}}.Encode(),
	}
	// The worst query alone, once, for the report: answered, or cut off
	// by the time limit (422), which is the bound working, not a fault.
	var alone []string
	for _, u := range attack {
		t0 := time.Now()
		_, _, err := fetch(ctx, u, seedAuth)
		var st *statusError
		switch {
		case err == nil:
			alone = append(alone, fmt.Sprintf("%.2f s", time.Since(t0).Seconds()))
		case errors.As(err, &st) && st.code == http.StatusUnprocessableEntity:
			alone = append(alone, fmt.Sprintf("cut off after %.2f s (422)", time.Since(t0).Seconds()))
		default:
			return fmt.Errorf("the worst query: %w", err)
		}
	}

	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	d := max(b.cfg.load/2, 3*time.Second)
	var ours, ref []float64
	statuses := map[int]int{}
	for range b.cfg.rounds {
		r, err := loadRun(ctx, get, 1, d, other)
		if err != nil {
			return err
		}
		ref = append(ref, ms(r.p50))

		actx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := i; actx.Err() == nil; n++ {
					req, _ := http.NewRequestWithContext(actx, http.MethodGet, attack[n%len(attack)], nil)
					seedAuth(req)
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						continue
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					mu.Lock()
					statuses[res.StatusCode]++
					mu.Unlock()
				}
			}()
		}
		r, err = loadRun(ctx, get, 1, d, other)
		stop()
		wg.Wait()
		if err != nil {
			return err
		}
		ours = append(ours, ms(r.p50))
	}
	b.report.add(pair{what: "another account's GET /api/assets/ID.xml, p50, while four clients of one user send the worst query",
		unit: "ms", ours: ours, ref: ref, refName: "the same GET alone",
		note: fmt.Sprintf("`%s OR ...`, the 64 terms of synth's CostliestQuery, as facets and sorted by title, %s alone; the attack's answers: %d found, %d 429 (2 searches at once per user), %d 422 (5 s limit)",
			strings.Join(strings.Fields(worstQuery)[:17], " "), strings.Join(alone, " and "), statuses[http.StatusOK]+statuses[http.StatusNotFound],
			statuses[http.StatusTooManyRequests], statuses[http.StatusUnprocessableEntity])})
	return nil
}

// media: the Go benchmarks of the media packages, which run libvips,
// vipsthumbnail, ffmpeg and exiftool side by side.
func (b *bench) media(ctx context.Context) error {
	var outs []string
	for _, run := range [][]string{
		{"-bench", "RenderAll24MP|Vipsthumbnail1024|BombHeader|Render1024", "-benchtime", "10x", "./media/"},
		{"-bench", "Batch200x12MP", "-benchtime", "1x", "./media/"},
		{"-bench", "UploadToThumb24MP", "-benchtime", "10x", "./httpapi/"},
		{"-bench", "ExifTool", "-benchtime", "3x", "./metadata/"},
	} {
		out, err := goBench(ctx, run...)
		if err != nil {
			return err
		}
		outs = append(outs, out)
	}
	out := strings.Join(outs, "\n")
	res := parseBench(out)
	if ours, ok := res["RenderAll24MP"]["ns/op"]; ok {
		if ref, ok := res["Vipsthumbnail1024"]["ns/op"]; ok {
			b.report.add(pair{what: "all renditions of a 24 MP JPEG from one decode", unit: "ms", ours: []float64{ours / 1e6},
				ref: []float64{ref / 1e6}, refName: "vipsthumbnail to 1024 px", target: "<= 1.5x",
				met: func(o, r float64) bool { return o <= 1.5*r }})
		}
	}
	if m, ok := res["Batch200x12MP"]; ok {
		b.report.add(pair{what: "200 x 12 MP JPEGs to 256 px, both cores (median of alternating rounds)", unit: "img/s",
			ours: []float64{m["damask_img/s"]}, ref: []float64{m["vipsthumbnail_img/s"]}, refName: "two vipsthumbnail processes",
			higherBetter: true, target: ">= 0.9x", met: func(o, r float64) bool { return o >= 0.9*r }})
	}
	if m, ok := res["UploadToThumb24MP"]; ok {
		b.report.add(pair{what: "upload answered to thumb_url ready, 24 MP JPEG (median; worst " + fmt.Sprintf("%.0f ms", m["worst_ready_ms"]) + ")",
			unit: "ms", ours: []float64{m["ready_ms"]}, target: "< 500 ms", met: func(o, _ float64) bool { return o < 500 }})
	}
	if v, ok := res["BombHeader"]["ns/op"]; ok {
		b.report.add(pair{what: "a 50000 x 50000 PNG refused from its header", unit: "ms", ours: []float64{v / 1e6},
			target: "< 100 ms", met: func(o, _ float64) bool { return o < 100 }})
	}
	if v, ok := res["ExifToolStayOpen"]["files/s"]; ok {
		p := pair{what: "metadata with exiftool kept running", unit: "files/s", ours: []float64{v}, higherBetter: true,
			target: ">= 250 files/s", met: func(o, _ float64) bool { return o >= 250 }}
		if r, ok := res["ExifToolCeiling"]["files/s"]; ok {
			p.ref, p.refName = []float64{r}, "exiftool alone, same files"
		}
		b.report.add(p)
	}
	b.report.section("Media benchmarks, as `go test -bench` printed them", "```\n"+out+"\n```")
	return nil
}

// goBenchmarks: the inner loops, so that a regression shows in review.
func (b *bench) goBenchmarks(ctx context.Context) error {
	out, err := goBench(ctx, "-benchtime", "1s", "-benchmem", "./httpapi/", "./search/", "./blob/disk/")
	if err != nil {
		return err
	}
	b.report.section("Inner loops (`go test -bench`)", "```\n"+out+"\n```")
	if err := b.libraryPage(ctx); err != nil {
		return err
	}
	return b.stageBenchmarks(ctx)
}

// libraryPage: the web's library page of 10,000 assets, its first page
// and a page of three filters (a word, a type, a tag): server time under
// 50 ms, the wall time of the handler; the process's CPU time per page
// beside it, which the other programs of a busy machine do not swell.
func (b *bench) libraryPage(ctx context.Context) error {
	out, err := goBench(ctx, "-bench", "LibraryPage", "-benchtime", "20x", "./web/")
	if err != nil {
		return err
	}
	res := parseBench(out)
	for _, c := range []struct{ name, what string }{
		{"first_page", "the library page of 10,000 assets, first page with facets"},
		{"three_filters", "the library page of 10,000 assets, three filters (word, type, tag)"},
	} {
		r, ok := res["LibraryPage/"+c.name]
		if !ok {
			return fmt.Errorf("BenchmarkLibraryPage/%s: no result in\n%s", c.name, out)
		}
		b.report.add(pair{what: c.what + ", server time", unit: "ms", ours: []float64{r["ns/op"] / 1e6},
			note:   fmt.Sprintf("%.1f ms of CPU, %.0f matches", r["cpu-ms/op"], r["matches"]),
			target: "< 50 ms", met: func(o, _ float64) bool { return o < 50 }})
	}
	b.report.section("The library page (`go test -bench LibraryPage`)", "```\n"+out+"\n```")
	return nil
}

// stageBenchmarks: a Stage's first page of 1,000 assets (target under
// 30 ms of server time) and a download from a Stage, access log written,
// against the same file's plain download in the same run (>= 0.95x).
func (b *bench) stageBenchmarks(ctx context.Context) error {
	out, err := goBench(ctx, "-bench", "StagePage|StageDownload", "-benchtime", "10x", "-count", "3", "./web/")
	if err != nil {
		return err
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	res := parseBench(out)
	page, dl := res["StagePage"], res["StageDownload"]
	text := fmt.Sprintf("| what | figure | target | |\n|---|---|---|---|\n"+
		"| a Stage's first page, 1,000 assets | %.1f ms (%.1f ms CPU) | < 30 ms | %s |\n"+
		"| a Stage's download, log written, 1 GiB | %.2fx the plain download (%.0f vs %.0f MB per CPU second) | >= 0.95x | %s |\n\n",
		page["ns/op"]/1e6, page["cpu-ms/op"], verdict(page["ns/op"] < 30e6),
		dl["x_plain"], dl["stage_MB/cpu_s"], dl["plain_MB/cpu_s"], verdict(dl["x_plain"] >= 0.95))
	b.report.section("Stages (`go test -bench`, the last of 3 runs)", text+"```\n"+out+"\n```")
	return nil
}

// goBench runs the benchmarks of the packages and answers the lines that
// matter.
func goBench(ctx context.Context, args ...string) (string, error) {
	if !slices.Contains(args, "-bench") {
		args = append([]string{"-bench", "."}, args...)
	}
	cmd := exec.CommandContext(ctx, "go", append([]string{"test", "-run", "^$"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go test -bench: %w\n%s", err, out.String())
	}
	var keep []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "Benchmark") || strings.HasPrefix(l, "pkg:") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n"), nil
}

// parseBench reads benchmark lines into name (without the Benchmark
// prefix and the -N suffix) -> unit -> value.
func parseBench(out string) map[string]map[string]float64 {
	res := map[string]map[string]float64{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i]
		}
		m := map[string]float64{}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				m[f[i+1]] = v
			}
		}
		res[name] = m
	}
	return res
}
