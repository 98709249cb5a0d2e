package s3

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Part sizes, in bytes. S3 takes at most 10,000 parts of 5 MiB to 5 GiB
// each (the last may be smaller), so the part size bounds both a store's
// memory per upload (two parts) and its largest file (10,000 parts).
const (
	defaultPartSize = 8 << 20
	minPartSize     = 5 << 20
	maxPartSize     = 5 << 30
	maxParts        = 10_000
)

// config is what a store URL says.
type config struct {
	endpoint  string // host[:port]
	secure    bool   // https
	region    string // empty: asked of the server
	lookup    minio.BucketLookupType
	bucket    string
	prefix    string // empty, or ends with "/"
	partSize  int64
	accessKey string
	secretKey string
	session   string // a temporary credential's token, from the environment
	// retries is how many times a request is tried; 0 is minio-go's
	// default (10, with backoff). Tests lower it.
	retries int
}

// parseURL reads a store URL:
//
//	s3://[ACCESS_KEY:SECRET_KEY@]HOST[:PORT]/BUCKET[/PREFIX][?OPTIONS]
//
// with the options region=NAME, tls=true|false (default true),
// lookup=auto|path|dns (how the bucket is named in requests; auto uses the
// bucket as a host name on AWS only) and part-size=MiB (default 8). The
// keys must be escaped as in any URL (a "/" in a secret is %2F). Without
// keys in the URL, getenv gives AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
// and, when set, AWS_SESSION_TOKEN.
//
// Errors never repeat the URL, which may hold a secret.
func parseURL(raw string, getenv func(string) string) (config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the URL; keep only what is wrong with it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return config{}, fmt.Errorf("read S3 URL: %w", err)
	}
	if u.Scheme != "s3" {
		return config{}, fmt.Errorf("read S3 URL: scheme %q, want s3", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return config{}, errors.New("read S3 URL: no host (s3://HOST[:PORT]/BUCKET)")
	}
	if u.Fragment != "" {
		return config{}, errors.New("read S3 URL: a fragment (#...) means nothing here")
	}
	c := config{endpoint: u.Host, secure: true, lookup: minio.BucketLookupAuto, partSize: defaultPartSize}
	if u.Port() != "" {
		if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
			return config{}, fmt.Errorf("read S3 URL: port %q", u.Port())
		}
	}

	path := strings.TrimPrefix(u.Path, "/")
	c.bucket, c.prefix, _ = strings.Cut(path, "/")
	if err := s3utils.CheckValidBucketNameStrict(c.bucket); err != nil {
		return config{}, fmt.Errorf("read S3 URL: bucket %q: %w", c.bucket, err)
	}
	if c.prefix != "" {
		c.prefix = strings.TrimSuffix(c.prefix, "/") + "/"
		for _, seg := range strings.Split(strings.TrimSuffix(c.prefix, "/"), "/") {
			if seg == "" || seg == "." || seg == ".." {
				return config{}, fmt.Errorf("read S3 URL: prefix %q has an empty, . or .. segment", c.prefix)
			}
		}
	}

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return config{}, fmt.Errorf("read S3 URL: options: %w", err)
	}
	for name, vals := range q {
		if len(vals) != 1 {
			return config{}, fmt.Errorf("read S3 URL: option %s given %d times", name, len(vals))
		}
		v := vals[0]
		switch name {
		case "region":
			c.region = v
		case "tls":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return config{}, fmt.Errorf("read S3 URL: tls=%q, want true or false", v)
			}
			c.secure = b
		case "lookup":
			switch v {
			case "auto":
				c.lookup = minio.BucketLookupAuto
			case "path":
				c.lookup = minio.BucketLookupPath
			case "dns":
				c.lookup = minio.BucketLookupDNS
			default:
				return config{}, fmt.Errorf("read S3 URL: lookup=%q, want auto, path or dns", v)
			}
		case "part-size":
			mib, err := strconv.ParseInt(v, 10, 64)
			if err != nil || mib < minPartSize>>20 || mib > maxPartSize>>20 {
				return config{}, fmt.Errorf("read S3 URL: part-size=%q, want MiB from %d to %d", v, minPartSize>>20, maxPartSize>>20)
			}
			c.partSize = mib << 20
		default:
			return config{}, fmt.Errorf("read S3 URL: unknown option %q (region, tls, lookup, part-size)", name)
		}
	}

	if u.User != nil {
		secret, ok := u.User.Password()
		if !ok || u.User.Username() == "" || secret == "" {
			return config{}, errors.New("read S3 URL: credentials must be ACCESS_KEY:SECRET_KEY@")
		}
		c.accessKey, c.secretKey = u.User.Username(), secret
	} else {
		c.accessKey, c.secretKey = getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
		c.session = getenv("AWS_SESSION_TOKEN")
		if c.accessKey == "" || c.secretKey == "" {
			return config{}, errors.New("read S3 URL: no credentials: put ACCESS_KEY:SECRET_KEY@ in the URL or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
		}
	}
	return c, nil
}
