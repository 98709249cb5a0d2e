package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"damask/client"
)

// pull QUERY DIR: every asset matching the query saved in DIR, each
// through DIR/NAME.part (resumed by Range when a run was cut off), its
// SHA-256 checked, then renamed.
func pull(ctx context.Context, env environment, args []string) error {
	fs := flag.NewFlagSet("pull", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "one JSON object a line, for scripts")
	jobs := fs.Int("jobs", 4, "files fetched at once")
	pos, err := interleaved(fs, args, env.getenv)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageError(pullUse)
	}
	if *jobs < 1 || *jobs > 64 {
		return usageError("--jobs: from 1 to 64")
	}
	query, dir := pos[0], pos[1]
	c, err := connect(env)
	if err != nil {
		return err
	}
	var assets []*client.Asset
	var total int64
	for a, err := range c.Assets(ctx, client.ListOptions{Query: query, PerPage: 100}) {
		if err != nil {
			return err
		}
		assets = append(assets, a)
		total += a.Size
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	// Names: the file's own, or ID-name when two assets share a name.
	count := map[string]int{}
	for _, a := range assets {
		count[safeName(a)]++
	}
	p := newTransfers(env.stdout, *asJSON, "saved")
	p.begin(len(assets), total)
	return transferAll(ctx, p, *jobs, assets, "pull", func(a *client.Asset) transferEvent {
		name := safeName(a)
		if count[name] > 1 {
			name = strconv.FormatInt(a.ID, 10) + "-" + name
		}
		return pullFile(ctx, c, p, a, filepath.Join(dir, name), name)
	})
}

func pullFile(ctx context.Context, c *client.Client, p *transfers, a *client.Asset, path, name string) transferEvent {
	if sum, err := fileSum(path); err == nil && sum == a.SHA256 {
		return transferEvent{Event: "skipped", File: name, Size: a.Size, AssetID: a.ID, SHA256: a.SHA256, Reason: "already here"}
	} else if err == nil {
		return transferEvent{Event: "failed", File: name, Size: a.Size, AssetID: a.ID, Error: "a different file of that name is in the way"}
	}
	var from int64 = -1
	err := c.DownloadFile(ctx, a, path, func(n int64) {
		if from < 0 {
			from = n
			p.started(name, a.Size, n)
		}
		p.at(name, n)
	})
	if err != nil {
		msg := err.Error()
		if ctx.Err() != nil {
			msg = "interrupted; run the same pull again to go on"
		}
		return transferEvent{Event: "failed", File: name, Size: a.Size, AssetID: a.ID, Error: msg}
	}
	return transferEvent{Event: "done", File: name, Size: a.Size, AssetID: a.ID, SHA256: a.SHA256, Resumed: max(from, 0)}
}

// safeName is an asset's file name fit for a folder: no folders in it,
// never . or .., never hidden.
func safeName(a *client.Asset) string {
	n := strings.ReplaceAll(a.Filename, "\\", "/")
	n = n[strings.LastIndex(n, "/")+1:]
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, n)
	n = strings.TrimLeft(n, ".")
	if n == "" {
		n = "asset-" + strconv.FormatInt(a.ID, 10)
	}
	return n
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
