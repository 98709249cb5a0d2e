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
)

// TestWorkers runs the scaled-out shape on one data folder: a server that
// does no background work and two `damask worker` processes sharing the
// job queue. One worker is killed with SIGKILL once it has finished a job;
// every asset must still be processed, each job finished exactly once, and
// the thumbnails served.
func TestWorkers(t *testing.T) {
	bin := buildDamask(t)
	data := t.TempDir()
	srv := startServer(t, bin, data, "--no-workers")
	if out, err := damaskCmd(t, bin, "account", "api", "default", "on", "--data", data); err != nil {
		t.Fatalf("account api: %v\n%s", err, out)
	}
	c := &http.Client{Timeout: time.Minute}
	waitReady(t, c, srv)

	worker := func() *server {
		return startProcess(t, bin, "Damask worker is running", "worker", "--data", data, "--workers", "1", "--job-timeout", "15s")
	}
	doomed, survivor := worker(), worker()

	jpeg, err := os.ReadFile("../../media/testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	ids := make([]string, n)
	for i := range n {
		// Bytes after the end of the image make each file its own.
		file := append(append([]byte{}, jpeg...), fmt.Sprintf("copy %d", i)...)
		ids[i] = createFile(t, c, srv, fmt.Sprintf("photo-%d.jpg", i), file)
	}

	done := regexp.MustCompile(`msg="job done" job=(\d+)`)
	deadline := time.Now().Add(3 * time.Minute)
	for len(done.FindAllString(doomed.stderr.String(), -1)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the first worker finished no job within 3 minutes\n%s", doomed.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	doomed.kill()

	for _, id := range ids {
		for {
			a := getAsset(t, c, srv, id)
			if a.Processing == "done" {
				if a.Thumb == "" {
					t.Fatalf("asset %s done without a thumb_url", id)
				}
				req, _ := http.NewRequest("GET", a.Thumb, nil)
				req.SetBasicAuth("admin", crashPassword)
				res, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" {
					t.Errorf("GET %s: %d %s", a.Thumb, res.StatusCode, res.Header.Get("Content-Type"))
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
	for _, w := range []*server{doomed, survivor} {
		for _, m := range done.FindAllStringSubmatch(w.stderr.String(), -1) {
			seen[m[1]]++
		}
	}
	if len(seen) != n {
		t.Errorf("%d jobs finished, want %d: %v", len(seen), n, seen)
	}
	for job, k := range seen {
		if k != 1 {
			t.Errorf("job %s finished %d times", job, k)
		}
	}
	survivor.stop()
	srv.stop()
	for _, s := range []*server{srv, survivor} {
		s.checkLog()
	}
}

// createFile adds an asset with the file and answers its id.
func createFile(t *testing.T, c *http.Client, s *server, name string, data []byte) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	mw.Close()
	req, _ := http.NewRequestWithContext(context.Background(), "POST", s.url("/api/assets.xml"), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.SetBasicAuth("admin", crashPassword)
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

func getAsset(t *testing.T, c *http.Client, s *server, id string) processedXML {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url("/api/assets/"+id+".xml"), nil)
	req.SetBasicAuth("admin", crashPassword)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET asset %s: %d %s", id, res.StatusCode, b)
	}
	var a processedXML
	if err := xml.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(a.Thumb, "/") {
		a.Thumb = s.url(a.Thumb)
	}
	return a
}
