#!/usr/bin/env bash
# Installs what Damask needs on Debian 12, in one of three modes:
#
#   scripts/setup.sh        (run, for `make run`) what building and running
#                           the server needs: a C compiler (SQLite and
#                           libvips are used through cgo), libvips,
#                           exiftool, ffmpeg, poppler and Go 1.26.
#   scripts/setup.sh test   (for `make test`) run's, and what the tests
#                           need besides: PostgreSQL, chromium, versitygw
#                           (the S3 server the tests of blob/s3 start),
#                           golangci-lint (the linter `make test` runs,
#                           .golangci.yml), the command-line tools of
#                           SQLite and libvips.
#   scripts/setup.sh bench  (for `make bench`) test's, nginx, and
#                           filebrowser (the peer the bench runs beside
#                           Damask), built from its source.
#
# It is idempotent: what is there already is left alone, so the Makefile
# calls it every time.
set -euo pipefail

GO_VERSION=1.26.8
VERSITYGW_VERSION=v1.8.0
GOLANGCI_LINT_VERSION=v2.15.0
# axe-core: the accessibility rules the browser tests run on every page
# (web/browser_test.go names the same version). A test tool only: never
# served to users.
AXE_CORE_VERSION=4.10.3
# filebrowser: the peer of the bench's section "peer" (bench/peer.go names
# the same version, and finds the binary where install_filebrowser puts it).
FILEBROWSER_VERSION=v2.32.0
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

mode=${1:-run}
case $mode in
run | test | bench) ;;
*)
	echo "usage: scripts/setup.sh [run|test|bench]" >&2
	exit 2
	;;
esac

apt_install() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "setup: installing ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Go: any Go 1.21 or newer fetches the 1.26 toolchain that go.mod asks for
# by itself (GOTOOLCHAIN=auto). Debian 12 ships only Go 1.19, which cannot,
# so then its go command fetches the toolchain as a module from the Go
# module proxy and we install that under /usr/local/go.
go_ok() {
	local v
	v=$("$1" env GOVERSION 2>/dev/null) || return 1
	v=${v#go}
	[ "$(printf '%s\n' 1.21 "$v" | sort -V | head -n1)" = 1.21 ]
}

# install_go makes sure a Go of 1.21 or newer is there and sets GO to it.
install_go() {
	if command -v go >/dev/null && go_ok go; then
		GO=go
		return 0
	fi
	GO=/usr/local/go/bin/go
	if [ -x $GO ] && go_ok $GO; then
		echo "setup: Go is in /usr/local/go/bin; add it to your PATH"
		return 0
	fi
	apt_install golang-go
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	(
		cd "$work"
		/usr/bin/go mod init bootstrap >/dev/null 2>&1
		GOFLAGS=-modcacherw GOMODCACHE="$work/mod" /usr/bin/go mod download "golang.org/toolchain@v0.0.1-go${GO_VERSION}.linux-amd64"
	)
	$SUDO rm -rf /usr/local/go
	$SUDO cp -a "$work/mod/golang.org/toolchain@v0.0.1-go${GO_VERSION}.linux-amd64" /usr/local/go
	# A module's files come out of its zip without their modes: the
	# commands of bin/ and pkg/tool/ are made executable again, as the go
	# command does when it switches toolchains itself.
	$SUDO chmod -R a+rX /usr/local/go
	$SUDO chmod a+x /usr/local/go/bin/* /usr/local/go/pkg/tool/*/*
	go_ok $GO || { echo "setup: the Go installed in /usr/local/go does not run" >&2; exit 1; }
	echo "setup: installed Go ${GO_VERSION} in /usr/local/go; add /usr/local/go/bin to your PATH"
}

# PostgreSQL, for the tests of package postgres: they use the server at
# 127.0.0.1:5432 as user postgres, or the one DAMASK_TEST_POSTGRES names.
# A server that answers is left alone. Otherwise Debian's is installed, told
# to trust the user postgres connecting from this machine, and started.
install_postgres() {
	if [ -n "${DAMASK_TEST_POSTGRES:-}" ] || (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
		return 0
	fi
	apt_install postgresql
	local pgver hba
	pgver=$(ls /etc/postgresql | sort -V | tail -n1)
	hba=/etc/postgresql/$pgver/main/pg_hba.conf
	if ! $SUDO grep -q '^# damask: tests' "$hba"; then
		# The first line that matches a connection decides: ours go first.
		$SUDO sed -i '1i # damask: tests connect as postgres from this machine\nhost all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
	fi
	$SUDO pg_ctlcluster "$pgver" main start 2>/dev/null || $SUDO pg_ctlcluster "$pgver" main reload
	echo "setup: PostgreSQL $pgver runs on 127.0.0.1:5432 for the tests"
}

# versitygw, a real S3 server for the tests (blob/s3/s3test starts it),
# built by `go install` into $(go env GOPATH)/bin, where the tests look
# besides PATH. About 100 s to build, once: a binary of that version is
# kept (`go version -m` tells the version it was built from).
install_versitygw() {
	local bin
	bin="$("$GO" env GOPATH | cut -d: -f1)/bin/versitygw"
	if [ -x "$bin" ] && "$GO" version -m "$bin" 2>/dev/null | grep -q "mod[[:space:]]*github.com/versity/versitygw[[:space:]]*${VERSITYGW_VERSION}[[:space:]]"; then
		return 0
	fi
	echo "setup: installing versitygw ${VERSITYGW_VERSION} in ${bin%/*} (about 100 s)"
	GOFLAGS= GOBIN="${bin%/*}" "$GO" install "github.com/versity/versitygw/cmd/versitygw@${VERSITYGW_VERSION}"
}

# golangci-lint, the linter that holds the layers (.golangci.yml), the same
# way: `go install` of a pinned version into $(go env GOPATH)/bin, where
# the Makefile runs it from. About 10 minutes to build on two busy cores,
# once.
install_golangci_lint() {
	local bin
	bin="$("$GO" env GOPATH | cut -d: -f1)/bin/golangci-lint"
	if [ -x "$bin" ] && "$GO" version -m "$bin" 2>/dev/null | grep -q "mod[[:space:]]*github.com/golangci/golangci-lint/v2[[:space:]]*${GOLANGCI_LINT_VERSION}[[:space:]]"; then
		return 0
	fi
	echo "setup: installing golangci-lint ${GOLANGCI_LINT_VERSION} in ${bin%/*} (minutes)"
	GOFLAGS= GOBIN="${bin%/*}" "$GO" install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@${GOLANGCI_LINT_VERSION}"
}

# axe-core from the npm registry, pinned: its axe.min.js (and its licence,
# MPL-2.0) into $(go env GOPATH)/share/axe-core@VERSION, where the browser
# tests of package web read it and inject it into each page they visit.
install_axe_core() {
	local dir tmp
	dir="$("$GO" env GOPATH | cut -d: -f1)/share/axe-core@${AXE_CORE_VERSION}"
	[ -s "$dir/axe.min.js" ] && return 0
	command -v npm >/dev/null || apt_install npm
	echo "setup: fetching axe-core ${AXE_CORE_VERSION} into $dir"
	tmp=$(mktemp -d)
	(cd "$tmp" && npm pack --silent "axe-core@${AXE_CORE_VERSION}" >/dev/null && tar xzf "axe-core-${AXE_CORE_VERSION}.tgz" package/axe.min.js package/LICENSE)
	mkdir -p "$dir"
	cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$dir/"
	rm -rf "$tmp"
}

# filebrowser, the peer `make bench` runs beside Damask, built from the
# source of its pinned version into ${XDG_CACHE_HOME:-~/.cache}/damask-bench/
# (nothing of it enters this repository), once: the binary's name carries
# the version. Not `go install ...@version`: it reads the module's list of
# versions (for a deprecation notice on the latest), which the module
# proxy here refuses (403); the pinned version's own download works. The
# zip lacks the web frontend (frontend/dist is built by npm in its own
# release), which the bench does not use: a copy of the source gets a
# placeholder page instead, and only the HTTP API runs.
install_filebrowser() {
	local cache bin src mod
	cache="${XDG_CACHE_HOME:-$HOME/.cache}/damask-bench"
	bin="$cache/filebrowser-${FILEBROWSER_VERSION}"
	[ -x "$bin" ] && return 0
	echo "setup: building filebrowser ${FILEBROWSER_VERSION} into $bin (a minute or two)"
	mkdir -p "$cache"
	mod=$(mktemp -d)
	(cd "$mod" && GOFLAGS=-mod=mod "$GO" mod download -json "github.com/filebrowser/filebrowser/v2@${FILEBROWSER_VERSION}") >"$mod/download.json"
	src="$cache/filebrowser-${FILEBROWSER_VERSION}-src"
	rm -rf "$src"
	cp -r "$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' "$mod/download.json")" "$src"
	rm -rf "$mod"
	chmod -R u+w "$src"
	mkdir -p "$src/frontend/dist/public"
	[ -e "$src/frontend/dist/public/index.html" ] ||
		echo '<!doctype html><title>filebrowser</title><p>API only: built without its frontend for the Damask bench.' >"$src/frontend/dist/public/index.html"
	(cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=mod "$GO" build -o "$bin.tmp" \
		-ldflags "-X github.com/filebrowser/filebrowser/v2/version.Version=${FILEBROWSER_VERSION#v}" .)
	mv "$bin.tmp" "$bin"
	rm -rf "$src"
}

# Running: a C compiler, and the media tools (libvips through cgo, with
# pkg-config to find it; exiftool; ffmpeg; poppler), then Go.
apt_install gcc libc6-dev ca-certificates make
apt_install pkg-config libvips-dev libimage-exiftool-perl ffmpeg poppler-utils
install_go
[ "$mode" = run ] && exit 0

# Testing: the command-line tools of SQLite (an integrity check of the
# hardening suite) and of libvips (the media tests make their samples with
# it, and the benchmarks' references use it); PostgreSQL; the web
# interface's browser tests drive Debian's chromium (headless); versitygw.
apt_install sqlite3 libvips-tools
install_postgres
apt_install chromium
install_axe_core
install_versitygw
install_golangci_lint
[ "$mode" = test ] && exit 0

# make bench: nginx serves the reference download (sendfile).
apt_install nginx-light
install_filebrowser
