package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"damask/client"
)

// localFile is a file push sends.
type localFile struct {
	abs  string // its path on this machine
	name string // as shown: relative to the folder given, with its name
	dir  string // the folder sent as the asset's path, "" for a file given alone
	size int64
	key  string // path, size and modification time: the state's key
}

// push PATH... [--tags a,b] [--title T] [--json]: files and folders,
// recursively, by the resumable protocol, several at once.
func push(ctx context.Context, env environment, args []string) error {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	tags := fs.String("tags", "", "tags of every file, comma separated")
	title := fs.String("title", "", "title of every file (default: the server's, from the file name)")
	asJSON := fs.Bool("json", false, "one JSON object a line, for scripts")
	jobs := fs.Int("jobs", 4, "files sent at once")
	chunk := fs.String("chunk-size", "8MiB", "size of each PATCH: a broken connection sends at most this again")
	pos, err := interleaved(fs, args, env.getenv)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError(pushUse)
	}
	if *jobs < 1 || *jobs > 64 {
		return usageError("--jobs: from 1 to 64")
	}
	chunkSize, err := parseSize(*chunk)
	if err != nil || chunkSize < 1<<10 || chunkSize > 1<<30 {
		return usageError("--chunk-size: from 1KiB to 1GiB, such as 8MiB")
	}
	c, err := connect(env, client.WithChunkSize(chunkSize))
	if err != nil {
		return err
	}
	files, err := walk(pos)
	if err != nil {
		return err
	}
	var tagList []string
	for t := range strings.SplitSeq(*tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tagList = append(tagList, t)
		}
	}
	dir, err := stateDir(env)
	if err != nil {
		return err
	}
	st, err := loadPushState(dir, c.BaseURL())
	if err != nil {
		return err
	}

	// What the library holds already, by SHA-256: read whole when that
	// takes fewer requests (a page of 100) than asking for each file
	// (ask), so that a push of a few files to a library of a million does
	// not read the million.
	first, err := c.ListPage(ctx, client.ListOptions{PerPage: 100}, "")
	if err != nil {
		return fmt.Errorf("list the library: %w", err)
	}
	ask := first.Total >= listFactor*len(files)
	held := map[string]bool{}
	if !ask {
		for a, err := range c.Assets(ctx, client.ListOptions{PerPage: 100}) {
			if err != nil {
				return fmt.Errorf("list the library: %w", err)
			}
			held[a.SHA256] = true
		}
	}

	p := newTransfers(env.stdout, *asJSON, "sent")
	var total int64
	for _, f := range files {
		total += f.size
	}
	p.begin(len(files), total)
	var mu sync.Mutex // over st and held
	return transferAll(ctx, p, *jobs, files, "push", func(f localFile) transferEvent {
		return pushFile(ctx, c, p, st, &mu, held, ask, f, client.Metadata{Filename: filepath.Base(f.abs),
			Title: *title, Tags: tagList, Path: f.dir, Asset: true}, chunkSize)
	})
}

// listFactor is how many assets of the library make push ask for each
// file rather than read the whole list: a page holds 100.
var listFactor = 100

// holds asks the server whether the library holds a file of this SHA-256.
// Only an asset that says so counts (a server that knew no sha256
// parameter would answer the whole list).
func holds(ctx context.Context, c *client.Client, sum string) (bool, error) {
	p, err := c.ListPage(ctx, client.ListOptions{SHA256: []string{sum}}, "")
	if err != nil {
		return false, fmt.Errorf("ask the library for %s: %w", sum, err)
	}
	for _, a := range p.Assets {
		if a.SHA256 == sum {
			return true, nil
		}
	}
	return false, nil
}

// pushFile sends one file, or skips it when the library (or this push)
// holds its bytes already. With ask, the library is asked for each file
// held neither by the list read first nor earlier in this push.
func pushFile(ctx context.Context, c *client.Client, p *transfers, st *pushState, mu *sync.Mutex, held map[string]bool, ask bool, f localFile, m client.Metadata, chunk int64) transferEvent {
	fail := func(err error) transferEvent {
		if ctx.Err() != nil {
			err = errors.New("interrupted; run the same push again to go on")
		}
		return transferEvent{Event: "failed", File: f.name, Size: f.size, Error: err.Error()}
	}
	p.hashing(f.name, f.size)
	file, err := os.Open(f.abs)
	if err != nil {
		return fail(err)
	}
	defer file.Close()
	h := sha256.New()
	if _, err := io.Copy(h, file); err != nil {
		return fail(fmt.Errorf("read: %w", err))
	}
	sum := h.Sum(nil)
	hexSum := hex.EncodeToString(sum)
	mu.Lock()
	have := held[hexSum]
	held[hexSum] = true // a copy further on in this push is skipped too
	mu.Unlock()
	if !have && ask {
		if have, err = holds(ctx, c, hexSum); err != nil {
			mu.Lock()
			delete(held, hexSum)
			mu.Unlock()
			return fail(err)
		}
	}
	if have {
		st.forget(f.key)
		return transferEvent{Event: "skipped", File: f.name, Size: f.size, SHA256: hexSum, Reason: "the library holds it already"}
	}
	var from int64 = -1
	url, fin, err := c.UploadResumable(ctx, file, f.size, m, client.Resumable{
		URL:    st.url(f.key),
		SHA256: sum,
		// Only a file of more than one piece is worth resuming: a
		// smaller one is sent again whole.
		Created: func(u string) {
			if f.size > chunk {
				st.keep(f.key, u)
			}
		},
		Progress: func(o int64) {
			if from < 0 {
				from = o
				p.started(f.name, f.size, o)
			}
			p.at(f.name, o)
		},
	})
	if err != nil {
		if ctx.Err() != nil && url != "" && f.size > chunk {
			st.keep(f.key, url)
		}
		mu.Lock()
		delete(held, hexSum) // a copy further on may still be sent
		mu.Unlock()
		return fail(err)
	}
	st.forget(f.key)
	return transferEvent{Event: "done", File: f.name, Size: f.size, SHA256: hexSum, AssetID: fin.AssetID, Resumed: max(from, 0)}
}

// walk lists the regular files of the paths, folders recursively, sorted
// within each folder.
func walk(paths []string) ([]localFile, error) {
	var out []localFile
	seen := map[string]bool{}
	add := func(abs, name, dir string, info fs.FileInfo) {
		if seen[abs] {
			return
		}
		seen[abs] = true
		key := abs + "\x00" + strconv.FormatInt(info.Size(), 10) + "\x00" + strconv.FormatInt(info.ModTime().UnixNano(), 10)
		out = append(out, localFile{abs: abs, name: name, dir: dir, size: info.Size(), key: key})
	}
	for _, arg := range paths {
		abs, err := filepath.Abs(arg)
		if err != nil {
			return nil, err
		}
		info, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("push: %w", err)
		}
		if info.Mode().IsRegular() {
			add(abs, filepath.Base(abs), "", info)
			continue
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("push: %s is neither a file nor a folder", arg)
		}
		root := filepath.Base(abs)
		err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(abs, path)
			if err != nil {
				return err
			}
			name := filepath.ToSlash(filepath.Join(root, rel))
			add(path, name, strings.TrimSuffix(filepath.ToSlash(filepath.Dir(name)), "/."), info)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("push: %w", err)
		}
	}
	return out, nil
}

// pushState keeps the URL of each file's resumable upload between runs,
// in push-state.json: a file (path, size, modification time) whose push
// was cut off goes on where the server's offset says.
type pushState struct {
	mu     sync.Mutex
	dir    string
	server string
	// Uploads are by server, then by file key.
	Uploads map[string]map[string]string `json:"uploads"`
}

func loadPushState(dir, server string) (*pushState, error) {
	st := &pushState{dir: dir, server: server, Uploads: map[string]map[string]string{}}
	data, err := os.ReadFile(filepath.Join(dir, "push-state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("push state: %w", err)
	}
	if json.Unmarshal(data, st) != nil || st.Uploads == nil { // damaged: start afresh
		st.Uploads = map[string]map[string]string{}
	}
	return st, nil
}

func (s *pushState) url(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Uploads[s.server][key]
}

func (s *pushState) keep(key, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Uploads[s.server] == nil {
		s.Uploads[s.server] = map[string]string{}
	}
	if s.Uploads[s.server][key] == url {
		return
	}
	s.Uploads[s.server][key] = url
	s.save()
}

func (s *pushState) forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.Uploads[s.server][key]; !ok {
		return
	}
	delete(s.Uploads[s.server], key)
	if len(s.Uploads[s.server]) == 0 {
		delete(s.Uploads, s.server)
	}
	s.save()
}

// save writes the state; a failure only costs resuming, so it is not
// fatal.
func (s *pushState) save() {
	data, _ := json.Marshal(s)
	_ = writePrivate(s.dir, "push-state.json", data)
}

// parseSize reads 8MiB, 512KiB, 1GiB or a number of bytes.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if strings.HasSuffix(s, u.suffix) {
			mult, s = u.m, strings.TrimSuffix(s, u.suffix)
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("size %q", s)
	}
	return n * mult, nil
}
