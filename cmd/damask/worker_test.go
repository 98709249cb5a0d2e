package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"damask/blob/s3/s3test"
	"damask/postgres/pgtest"
	"damask/servertest"
)

// TestWorkers runs the scaled-out shape on one data folder: a server that
// does no background work and two `damask worker` processes sharing the
// job queue in SQLite.
func TestWorkers(t *testing.T) {
	testWorkers(t, 1, "--data", t.TempDir())
}

// TestScaledOut is the shape of many machines: two servers and two workers
// on one PostgreSQL database and one S3 bucket (versitygw). Files go in
// through one server and are found, downloaded and previewed through the
// other.
func TestScaledOut(t *testing.T) {
	blobs, _ := s3test.Start(t)
	testWorkers(t, 2, "--db", pgtest.Database(t, ""), "--blobs", blobs, "--data", t.TempDir())
}

// testWorkers starts the servers (each with --no-workers) and two workers
// on the stores the flags name, uploads JPEGs through the first server and
// kills one worker with SIGKILL once it has finished a job. Every asset
// must still be processed, each job finished exactly once, and every file
// found, downloaded and its thumbnail served through the last server.
func testWorkers(t *testing.T, servers int, stores ...string) {
	bin := servertest.Build(t)
	var srvs []*servertest.Server
	for range servers {
		// One at a time: the first creates the default account.
		srvs = append(srvs, servertest.Start(t, bin, nil, "Damask is listening on ",
			append([]string{"serve", "--addr", "127.0.0.1:0", "--no-workers"}, stores...)...))
		if len(srvs) == 1 {
			if out, err := servertest.Command(t, bin, nil, append([]string{"account", "api", "default", "on"}, stores...)...); err != nil {
				t.Fatalf("account api: %v\n%s", err, out)
			}
		}
	}
	in, out := srvs[0], srvs[len(srvs)-1]
	c := &http.Client{Timeout: time.Minute}
	for _, s := range srvs {
		s.WaitReady(c)
	}

	worker := func() *servertest.Server {
		return servertest.Start(t, bin, nil, "Damask worker is running",
			append([]string{"worker", "--workers", "1", "--job-timeout", "15s"}, stores...)...)
	}
	doomed, survivor := worker(), worker()

	jpeg, err := os.ReadFile("../../media/testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	ids := make([]string, n)
	files := make([][]byte, n)
	for i := range n {
		// Bytes after the end of the image make each file its own.
		files[i] = append(append([]byte{}, jpeg...), fmt.Sprintf("copy %d", i)...)
		ids[i] = createFile(t, c, in, fmt.Sprintf("harbour-%d.jpg", i), files[i])
	}

	done := regexp.MustCompile(`msg="job done" job=(\d+)`)
	deadline := time.Now().Add(3 * time.Minute)
	for len(done.FindAllString(doomed.Log(), -1)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the first worker finished no job within 3 minutes\n%s", doomed.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	doomed.Kill()

	if found := countFound(t, c, out, "harbour"); found != n {
		t.Errorf("the other server finds %d assets, want %d", found, n)
	}
	for i, id := range ids {
		if got := fetchFile(t, c, out.URL("/api/assets/download/"+id)); !bytes.Equal(got, files[i]) {
			t.Errorf("asset %s: the other server answers %d bytes, not the %d uploaded", id, len(got), len(files[i]))
		}
		for {
			a := getAsset(t, c, out, id)
			if a.Processing == "done" {
				if a.Thumb == "" {
					t.Fatalf("asset %s done without a thumb_url", id)
				}
				if got := fetchFile(t, c, a.Thumb); !bytes.HasPrefix(got, []byte{0xff, 0xd8}) {
					t.Errorf("thumbnail of asset %s is not a JPEG", id)
				}
				break
			}
			if a.Processing != "pending" {
				t.Fatalf("asset %s: processing %q (%s)", id, a.Processing, a.Error)
			}
			if time.Now().After(deadline.Add(time.Minute)) {
				t.Fatalf("asset %s still pending after 4 minutes", id)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// Every job finished once, by one worker or the other.
	seen := map[string]int{}
	for _, w := range []*servertest.Server{doomed, survivor} {
		for _, m := range done.FindAllStringSubmatch(w.Log(), -1) {
			seen[m[1]]++
		}
	}
	// Every asset is done (above); the logs name the jobs. A job the
	// doomed worker committed in the instant before its SIGKILL may have
	// lost its "job done" line, never more than one, since it runs one
	// job at a time.
	switch {
	case len(seen) == n-1:
		t.Logf("one job's \"job done\" line died with the killed worker: %v", seen)
	case len(seen) != n:
		t.Errorf("%d jobs finished, want %d: %v", len(seen), n, seen)
	}
	for job, k := range seen {
		if k != 1 {
			t.Errorf("job %s finished %d times", job, k)
		}
	}
	survivor.Stop()
	for _, s := range srvs {
		s.Stop()
	}
	for _, s := range append(srvs, survivor) {
		s.CheckLog()
	}
}

// fetchFile GETs u as admin and answers the body of a 200.
func fetchFile(t *testing.T, c *http.Client, u string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.SetBasicAuth("admin", servertest.AdminPassword)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", u, res.StatusCode, err)
	}
	return b
}

// countFound answers how many assets the query finds.
func countFound(t *testing.T, c *http.Client, s *servertest.Server, query string) int {
	t.Helper()
	var list struct {
		Assets []struct{} `xml:"asset"`
	}
	if err := xml.Unmarshal(fetchFile(t, c, s.URL("/api/assets.xml?per_page=100&query="+query)), &list); err != nil {
		t.Fatal(err)
	}
	return len(list.Assets)
}

// createFile adds an asset with the file and answers its id.
func createFile(t *testing.T, c *http.Client, s *servertest.Server, name string, data []byte) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	mw.Close()
	req, _ := http.NewRequestWithContext(context.Background(), "POST", s.URL("/api/assets.xml"), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.SetBasicAuth("admin", servertest.AdminPassword)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/assets.xml: %d %s", res.StatusCode, b)
	}
	var a assetXML
	if err := xml.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(a.ID, 10)
}

type processedXML struct {
	Processing string `xml:"processing"`
	Error      string `xml:"processing_error"`
	Thumb      string `xml:"thumb_url"`
}

func getAsset(t *testing.T, c *http.Client, s *servertest.Server, id string) processedXML {
	t.Helper()
	var a processedXML
	if err := xml.Unmarshal(fetchFile(t, c, s.URL("/api/assets/"+id+".xml")), &a); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(a.Thumb, "/") {
		a.Thumb = s.URL(a.Thumb)
	}
	return a
}
