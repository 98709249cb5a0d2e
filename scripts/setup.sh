#!/usr/bin/env bash
# Installs what Damask needs to build, run and test on Debian 12: a C
# compiler (SQLite and libvips are used through cgo), the media tools and
# Go 1.26. It is
# idempotent: what is there already is left alone, so `make run` and
# `make test` call it every time.
set -euo pipefail

GO_VERSION=1.26.8
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

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

apt_install gcc libc6-dev ca-certificates make sqlite3
# Media: libvips through cgo (with pkg-config to find it) and its command
# line tools for the benchmarks' references, exiftool, ffmpeg, poppler.
apt_install pkg-config libvips-dev libvips-tools libimage-exiftool-perl ffmpeg poppler-utils
# The web interface's browser tests drive Debian's chromium (headless).
apt_install chromium

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
if command -v go >/dev/null && go_ok go; then
	exit 0
fi
if [ -x /usr/local/go/bin/go ] && go_ok /usr/local/go/bin/go; then
	echo "setup: Go is in /usr/local/go/bin; add it to your PATH"
	exit 0
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
$SUDO chmod -R a+rX /usr/local/go
echo "setup: installed Go ${GO_VERSION} in /usr/local/go; add /usr/local/go/bin to your PATH"
