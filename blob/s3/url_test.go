package s3

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/minio/minio-go/v7"
)

func TestParseURL(t *testing.T) {
	env := map[string]string{"AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_SESSION_TOKEN": "tok"}
	getenv := func(k string) string { return env[k] }
	noenv := func(string) string { return "" }
	base := config{secure: true, lookup: minio.BucketLookupAuto, partSize: defaultPartSize}
	with := func(f func(*config)) config { c := base; f(&c); return c }

	tests := []struct {
		name   string
		url    string
		getenv func(string) string
		want   config
		err    string // a part of the error; empty when none is wanted
	}{
		{"local server", "s3://AK:SK@127.0.0.1:7070/damask?region=us-east-1&tls=false", noenv, with(func(c *config) {
			c.endpoint, c.bucket, c.region, c.secure, c.accessKey, c.secretKey = "127.0.0.1:7070", "damask", "us-east-1", false, "AK", "SK"
		}), ""},
		{"AWS with keys from the environment", "s3://s3.eu-west-1.amazonaws.com/my-assets?region=eu-west-1", getenv, with(func(c *config) {
			c.endpoint, c.bucket, c.region, c.accessKey, c.secretKey, c.session = "s3.eu-west-1.amazonaws.com", "my-assets", "eu-west-1", "ENVKEY", "envsecret", "tok"
		}), ""},
		{"escaped secret, prefix, options", "s3://AK:a%2Fb+c@minio:9000/bucket/damask/blobs/?lookup=path&part-size=64", noenv, with(func(c *config) {
			c.endpoint, c.bucket, c.prefix, c.lookup, c.partSize, c.accessKey, c.secretKey = "minio:9000", "bucket", "damask/blobs/", minio.BucketLookupPath, 64<<20, "AK", "a/b+c"
		}), ""},
		{"keys in the URL win", "s3://AK:SK@h/bkt", getenv, with(func(c *config) {
			c.endpoint, c.bucket, c.accessKey, c.secretKey = "h", "bkt", "AK", "SK"
		}), ""},
		{"dns lookup", "s3://AK:SK@h/bkt?lookup=dns&tls=true", noenv, with(func(c *config) {
			c.endpoint, c.bucket, c.lookup, c.accessKey, c.secretKey = "h", "bkt", minio.BucketLookupDNS, "AK", "SK"
		}), ""},

		{"no credentials", "s3://h/bucket", noenv, config{}, "no credentials"},
		{"access key alone", "s3://AK@h/bucket", getenv, config{}, "ACCESS_KEY:SECRET_KEY"},
		{"other scheme", "http://AK:SK@h/bucket", noenv, config{}, "scheme"},
		{"no host", "s3:///bucket", noenv, config{}, "no host"},
		{"opaque", "s3:bucket", noenv, config{}, "no host"},
		{"no bucket", "s3://AK:SK@h/", noenv, config{}, "bucket"},
		{"bad bucket", "s3://AK:SK@h/Bad_Bucket", noenv, config{}, "bucket"},
		{"bad port", "s3://AK:SK@h:99999/bkt", noenv, config{}, "port"},
		{"empty prefix segment", "s3://AK:SK@h/bkt/x//y", noenv, config{}, "prefix"},
		{"dot-dot prefix", "s3://AK:SK@h/bkt/../y", noenv, config{}, "prefix"},
		{"unknown option", "s3://AK:SK@h/bkt?regoin=x", noenv, config{}, "unknown option"},
		{"option twice", "s3://AK:SK@h/bkt?tls=false&tls=true", noenv, config{}, "2 times"},
		{"bad tls", "s3://AK:SK@h/bkt?tls=maybe", noenv, config{}, "tls"},
		{"bad lookup", "s3://AK:SK@h/bkt?lookup=virtual", noenv, config{}, "lookup"},
		{"part size too small", "s3://AK:SK@h/bkt?part-size=4", noenv, config{}, "part-size"},
		{"part size too large", "s3://AK:SK@h/bkt?part-size=5121", noenv, config{}, "part-size"},
		{"fragment", "s3://AK:SK@h/bkt#x", noenv, config{}, "fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseURL(tt.url, tt.getenv)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseURL(%q) error = %v, want one saying %q", tt.url, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseURL(%q): %v", tt.url, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(config{})); diff != "" {
				t.Errorf("parseURL(%q) (-want +got):\n%s", tt.url, diff)
			}
		})
	}
}

// An error about a URL never shows the secret in it, even when the URL
// cannot be read at all.
func TestParseURLHidesSecret(t *testing.T) {
	for _, u := range []string{
		"s3://AK:topsecret@h:port/bkt",
		"s3://AK:topsecret@h/Bad_Bucket",
		"s3://AK:topsecret@h/bkt?x=1",
		"s3://AK:topsecret@h/bkt?%zz",
		"s3://AK:topsecret@[::1/bkt",
	} {
		_, err := parseURL(u, func(string) string { return "" })
		if err == nil {
			t.Errorf("parseURL(%q) succeeded", u)
		} else if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("parseURL(%q) error shows the secret: %v", u, err)
		}
	}
}

// FuzzParseURL: any string either fails with an error that does not repeat
// the secret, or gives a config a client can be made of.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"s3://AK:SK@127.0.0.1:7070/damask?region=us-east-1&tls=false",
		"s3://s3.amazonaws.com/bucket/pre/fix?part-size=5&lookup=dns",
		"s3://a:b@h/b/../c", "s3://[::1]:9000/bkt", "s3:opaque", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := parseURL(raw, func(k string) string { return k + "-value" })
		if err != nil {
			return
		}
		if c.bucket == "" || c.endpoint == "" || c.accessKey == "" || c.secretKey == "" {
			t.Fatalf("parseURL(%q) = %+v: a field is empty", raw, c)
		}
		if c.partSize < minPartSize || c.partSize > maxPartSize {
			t.Fatalf("parseURL(%q): part size %d", raw, c.partSize)
		}
		if c.prefix != "" && !strings.HasSuffix(c.prefix, "/") {
			t.Fatalf("parseURL(%q): prefix %q without a final /", raw, c.prefix)
		}
		if r := redacted(c); len(c.secretKey) > 3 && strings.Contains(r, c.secretKey) && !strings.Contains(c.endpoint+c.bucket+c.prefix, c.secretKey) {
			t.Fatalf("redacted(%q) = %q shows the secret", raw, r)
		}
	})
}

// FuzzRefOf: a key from a listing (the server's, so outside input) names a
// file only when it is exactly the key of that file.
func FuzzRefOf(f *testing.F) {
	name := "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
	for _, k := range []string{
		"2d/71/" + name, "p/2d/71/" + name, "2d/71/" + strings.ToUpper(name), "2d/72/" + name,
		".tmp/x", "README", "2d/71/" + name + "x", "",
	} {
		f.Add("", k)
		f.Add("p/", k)
	}
	f.Fuzz(func(t *testing.T, prefix, key string) {
		s := &Store{prefix: prefix}
		ref, ok := s.refOf(key)
		if ok && s.key(ref) != key {
			t.Fatalf("refOf(%q) under prefix %q = %s, whose key is %q", key, prefix, ref, s.key(ref))
		}
	})
}
