package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
)

// runSink is the reference of an upload: the plainest Go server that
// stores a request body durably. Every POST is copied to a new file with
// io.Copy, synced, and renamed into place; with --hash its SHA-256 is
// computed in the same loop (io.MultiWriter), as PERFORMANCE.md measured
// the ceiling. With --syncdir the folder is fsynced after the rename, so
// that the new name too is on disk before the answer, as Damask's promise
// needs (a renamed file is not durable until its folder is synced). With
// --nosync the body is not synced at all, as filebrowser stores its
// uploads: the pair of the two is what an fsync costs on this disk.
func runSink(args []string) error {
	fs := flag.NewFlagSet("sink", flag.ContinueOnError)
	dir := fs.String("dir", "", "where the files go")
	withHash := fs.Bool("hash", false, "compute the SHA-256 of every body")
	syncDir := fs.Bool("syncdir", false, "fsync the folder after the rename")
	noSync := fs.Bool("nosync", false, "do not fsync the file (nor the folder)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var n atomic.Int64
	h := func(w http.ResponseWriter, r *http.Request) {
		f, err := os.CreateTemp(*dir, "up-")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer os.Remove(f.Name())
		var dst io.Writer = f
		var sum hash.Hash
		if *withHash {
			sum = sha256.New()
			dst = io.MultiWriter(f, sum)
		}
		if _, err := io.Copy(dst, r.Body); err != nil {
			f.Close()
			http.Error(w, err.Error(), 400)
			return
		}
		if !*noSync {
			if err := f.Sync(); err != nil {
				f.Close()
				http.Error(w, err.Error(), 500)
				return
			}
		}
		f.Close()
		name := filepath.Join(*dir, "f"+strconv.FormatInt(n.Add(1), 10))
		if err := os.Rename(f.Name(), name); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if *syncDir && !*noSync {
			d, err := os.Open(*dir)
			if err == nil {
				err = d.Sync()
				d.Close()
			}
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
		}
		os.Remove(name) // the next round must not fill the disk
		if sum != nil {
			fmt.Fprintln(w, hex.EncodeToString(sum.Sum(nil)))
		}
	}
	return listenAndServe(http.HandlerFunc(h))
}

// runBare serves one pre-rendered document from memory to every GET: the
// ceiling of a small API answer, with none of the work of finding it.
func runBare(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ContinueOnError)
	file := fs.String("file", "", "the document")
	ctype := fs.String("type", "application/xml; charset=utf-8", "its content type")
	if err := fs.Parse(args); err != nil {
		return err
	}
	doc, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	return listenAndServe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", *ctype)
		w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
		w.Write(doc)
	}))
}

func listenAndServe(h http.Handler) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	return http.Serve(ln, h)
}
