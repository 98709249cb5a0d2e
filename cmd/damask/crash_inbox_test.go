package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"damask/servertest"
)

// Submissions to an Inbox while the server is killed: each is one
// transaction (its assets, the Inbox's count, its inbox.received event),
// so after the restart every submission is there whole or not at all.
const (
	crashSubmissions  = 16 // below the 20 an hour one address may send
	crashSubmitFiles  = 3
	crashSubmitKill   = 5 // acknowledged submissions before the SIGKILL
	crashSubmitMaxLen = 2 << 20
)

// submission is one sending to the Inbox: what was sent, what came back.
type submission struct {
	n          int
	sent       []string // SHA-256 of each file sent
	status     int      // 0 when no answer came
	body       string
	err        error
	beforeKill bool
}

// submit streams one submission of crashSubmitFiles files, the sender's
// fields first as the form sends them, and asks for the script's answer.
func submit(ctx context.Context, c *http.Client, s *servertest.Server, path string, n int, seeds []uint64, sizes []int64) submission {
	res := submission{n: n, sent: make([]string, len(seeds))}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := func() error {
			if err := mw.WriteField("name", "Rosa"); err != nil {
				return err
			}
			if err := mw.WriteField("email", "rosa@client.test"); err != nil {
				return err
			}
			for i := range seeds {
				part, err := mw.CreateFormFile("file", fmt.Sprintf("sub%02d-file%d.bin", n, i))
				if err != nil {
					return err
				}
				h := sha256.New()
				if _, err := io.Copy(io.MultiWriter(part, h), payload(seeds[i], sizes[i])); err != nil {
					return err
				}
				res.sent[i] = hex.EncodeToString(h.Sum(nil))
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", s.URL(path), pr)
	if err != nil {
		res.err = err
		return res
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	pr.CloseWithError(errors.New("request over"))
	<-done
	if err != nil {
		res.err = err
		return res
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		res.err = err
		return res
	}
	res.status, res.body = resp.StatusCode, string(b)
	return res
}

func TestCrashDuringInboxSubmissions(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a real server mid-submission")
	}
	bin := servertest.Build(t)
	data := t.TempDir()
	srv := servertest.Serve(t, bin, data, noUploadCap...)
	if out, err := servertest.Command(t, bin, nil, "account", "api", "default", "on", "--data", data); err != nil {
		t.Fatalf("account api default on: %v\n%s", err, out)
	}
	client := &http.Client{Timeout: 5 * time.Minute}
	srv.WaitReady(client)
	admin := servertest.Admin(t, srv)
	admin.HTTP = client
	path := addressOf(t, admin.Form(201, "POST", "/api/inboxes.xml", "", nil, "title", "Drop box"))

	seed := uint64(time.Now().UnixNano())
	t.Logf("sizes and contents from seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x1b0c))
	var (
		acked    atomic.Int32
		killOnce sync.Once
		results  = make([]submission, crashSubmissions)
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for i := range crashSubmissions {
		seeds, sizes := make([]uint64, crashSubmitFiles), make([]int64, crashSubmitFiles)
		for j := range seeds {
			seeds[j], sizes[j] = rng.Uint64(), 1+rng.Int64N(crashSubmitMaxLen)
		}
		wg.Go(func() {
			results[i] = submit(ctx, client, srv, path, i, seeds, sizes)
			results[i].beforeKill = !srv.Killing()
			if results[i].status == http.StatusCreated && acked.Add(1) == crashSubmitKill {
				killOnce.Do(srv.Kill)
			}
		})
	}
	wg.Wait()
	killOnce.Do(func() {
		t.Errorf("only %d submissions were acknowledged before the kill", acked.Load())
		srv.Kill()
	})
	client.CloseIdleConnections()

	var sent []submission
	cut := 0
	for _, r := range results {
		switch {
		case r.status == http.StatusCreated && r.err == nil:
			var receipt struct {
				Files []struct {
					SHA256 string `json:"sha256"`
				} `json:"files"`
			}
			if err := json.Unmarshal([]byte(r.body), &receipt); err != nil || len(receipt.Files) != crashSubmitFiles {
				t.Errorf("submission %d: receipt %s (%v)", r.n, r.body, err)
			}
			sent = append(sent, r)
		case r.status != 0:
			t.Errorf("submission %d: %d %s", r.n, r.status, r.body)
		case r.beforeKill:
			t.Errorf("submission %d failed before the kill: %v", r.n, r.err)
		default:
			cut++
		}
	}
	t.Logf("%d submissions acknowledged, %d cut off by SIGKILL", len(sent), cut)

	srv = servertest.Serve(t, bin, data, noUploadCap...)
	client = &http.Client{Timeout: 5 * time.Minute}
	srv.WaitReady(client)
	admin.S, admin.HTTP = srv, client

	// Every submission is whole or absent: its files, by name, all listed
	// or none; the acknowledged ones whole with the bytes sent.
	listed := listAssets(t, client, srv)
	bySubmission := map[string][]assetXML{}
	for _, a := range listed {
		sub, _, _ := strings.Cut(a.Filename, "-")
		bySubmission[sub] = append(bySubmission[sub], a)
	}
	for sub, as := range bySubmission {
		if len(as) != crashSubmitFiles {
			t.Errorf("submission %s is there in part: %d of its %d files", sub, len(as), crashSubmitFiles)
		}
	}
	have := map[string]bool{}
	for _, a := range listed {
		have[a.SHA256] = true
		if got, n := download(t, client, srv, a.ID); got != a.SHA256 || n != a.Size {
			t.Errorf("asset %d: downloaded %d bytes with %s, recorded %d with %s", a.ID, n, got, a.Size, a.SHA256)
		}
	}
	for _, r := range sent {
		for i, sum := range r.sent {
			if !have[sum] {
				t.Errorf("acknowledged submission %d lost its file %d", r.n, i)
			}
		}
	}
	// The Inbox's count and its events agree with the assets.
	var inbox struct {
		UploadsCount int `xml:"uploads_count"`
	}
	if err := xml.Unmarshal(admin.Must(200, "GET", "/api/inboxes/1.xml", "", nil), &inbox); err != nil {
		t.Fatal(err)
	}
	feed, _ := eventFeed(t, admin)
	received := strings.Count(feed, "<type>inbox.received</type>")
	if inbox.UploadsCount != len(listed) || received != len(bySubmission) {
		t.Errorf("after the restart: %d assets of %d submissions, the Inbox counts %d files, %d inbox.received events",
			len(listed), len(bySubmission), inbox.UploadsCount, received)
	}
	t.Logf("%d submissions whole after the restart (%d acknowledged)", len(bySubmission), len(sent))
	srv.Stop()
	srv.CheckLog()
	if out, err := servertest.Command(t, bin, nil, "check", "--data", data); err != nil || !strings.Contains(out, "ok: database intact") {
		t.Errorf("damask check: %v\n%s", err, out)
	}
}
