# The two commands of the README: `make run` starts the server on the
# embedded default, `make test` runs the whole test suite. Both install
# what they need first: `make run` what running needs (setup), `make test`
# that and what the tests need besides (setup-test).
export PATH := /usr/local/go/bin:$(PATH)
export CGO_ENABLED := 1
# SQLite's full-text search (FTS5) is compiled in only under this tag.
export GOFLAGS := -tags=sqlite_fts5

DATA ?= ./damask-data
ADDR ?= 127.0.0.1:8080
FUZZTIME ?= 10s

.PHONY: run test setup setup-test build vet lint fuzz bench soak

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh test

build: setup
	go build -o bin/damask ./cmd/damask

run: build
	bin/damask serve --data $(DATA) --addr $(ADDR)

vet: setup
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	go vet ./...

# The layers of README.md's layout and the linters of .golangci.yml;
# scripts/setup.sh test installs golangci-lint at its pinned version.
lint: setup-test vet
	"$$(go env GOPATH | cut -d: -f1)/bin/golangci-lint" run ./...

# -timeout bounds each package's test binary: hardening, the longest,
# takes about 9 minutes on a quiet 2-core machine, and took past 40 on one
# at a load average of 20 to 57 from other work.
test: setup-test lint
	go test -race -count=1 -timeout 75m ./...
	$(MAKE) --no-print-directory fuzz

# Every fuzz target, briefly: long runs are for a developer's machine.
fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

# Damask next to its ceilings (PERFORMANCE.md), written to docs/benchmarks.md.
# Not part of the tests: it takes minutes and wants a quiet machine.
# Its section peer runs filebrowser (built by setup.sh bench) beside Damask.
# BENCHFLAGS passes options, e.g. BENCHFLAGS="-assets 100000 -only search";
# BENCHFLAGS="-db postgres" runs on PostgreSQL (127.0.0.1:5432, user postgres,
# or -pg URL), in databases made for the run and dropped after, and writes
# docs/benchmarks-postgres.md.
bench:
	@scripts/setup.sh bench
	go run ./bench $(BENCHFLAGS)

# Ten minutes of mixed load from 64 clients against a real server; fails on
# any 5xx or on memory that keeps growing, and writes the section "Soak" of
# docs/benchmarks.md. Not part of the tests. SOAKFLAGS passes options, e.g.
# SOAKFLAGS="-duration 1m -clients 16".
soak: setup
	go run ./soak $(SOAKFLAGS)
