#!/bin/sh
# Regenerates the sample files in this folder with the tools that
# scripts/setup.sh installs (libvips-tools, ffmpeg, exiftool). The outputs are
# committed; run this only to change them. Hostile inputs that need a live
# port (SVG href, m3u8) or a huge header (PNG bomb) are written by the tests.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# 600x400 landscape photo-like JPEG (a colour gradient, so it compresses).
vips xyz "$tmp/xy.v" 600 400
vips extract_band "$tmp/xy.v" "$tmp/x.v" 0
vips extract_band "$tmp/xy.v" "$tmp/y.v" 1
vips linear "$tmp/x.v" "$tmp/r.v" 0.42 0 --uchar
vips linear "$tmp/y.v" "$tmp/g.v" 0.63 0 --uchar
vips black "$tmp/b.v" 600 400
vips linear "$tmp/b.v" "$tmp/bb.v" 1 128 --uchar
vips bandjoin "$tmp/r.v $tmp/g.v $tmp/bb.v" "$tmp/rgb.v"
vips copy "$tmp/rgb.v" "$tmp/srgb.v" --interpretation srgb
vips copy "$tmp/srgb.v" photo.jpg[Q=80,strip]

# The same JPEG tagged with EXIF orientation 6 (rotate 90 CW to view): stored
# 600x400, displayed 400x600.
cp photo.jpg rotated6.jpg
exiftool -q -overwrite_original -n -Orientation=6 rotated6.jpg

# PNG with alpha: 300x200, left half opaque, right half transparent.
vips black "$tmp/a1.v" 150 200
vips linear "$tmp/a1.v" "$tmp/a2.v" 1 255 --uchar
vips embed "$tmp/a2.v" "$tmp/alpha.v" 0 0 300 200
vips extract_area "$tmp/srgb.v" "$tmp/crop.v" 0 0 300 200
vips bandjoin "$tmp/crop.v $tmp/alpha.v" alpha.png

vips copy "$tmp/srgb.v" photo.tif[compression=jpeg]
vips copy "$tmp/srgb.v" photo.webp[Q=70]
vips copy "$tmp/srgb.v" photo.avif[Q=40] || echo "no AVIF encoder: skipped"
vips copy "$tmp/srgb.v" photo.heic[Q=40] || echo "no HEIC encoder: skipped"

# A layered Photoshop file, 300x200: layer 1 white with a red right half,
# layer 2 a 100 px blue square at 20,20, and the composite of both (what
# Photoshop saves for other programs, and what is rendered). Needs
# ImageMagick's convert (apt-get install imagemagick), which the server
# itself does not: libvips reads PSD through the ImageMagick library.
if command -v convert >/dev/null && convert -version 2>/dev/null | grep -q ImageMagick; then
  convert -size 300x200 xc:white -fill red -draw "rectangle 150,0 299,199" "$tmp/base.png"
  convert "$tmp/base.png" -fill blue -draw "rectangle 20,20 119,119" "$tmp/comp.png"
  convert "$tmp/comp.png" "$tmp/base.png" \( -size 100x100 xc:blue -set page +20+20 \) \
    -type TrueColor -depth 8 -compress RLE layers.psd
else
  echo "no ImageMagick convert: layers.psd skipped"
fi

# A camera RAW: a DNG written by mkdng.go, whose full-size preview is the
# photo at 300x200, with Orientation 6 in the DNG (none in the preview).
vipsthumbnail photo.jpg --size 300 -o "$tmp/prev.jpg[Q=85,strip]"
go run mkdng.go "$tmp/prev.jpg" raw.dng

# Animated GIF, 160x120, first frame red, then green and blue, via ffmpeg.
ffmpeg -v error -y -f lavfi -i "color=c=red:s=160x120:d=1:r=1,format=rgb24" \
  -f lavfi -i "color=c=lime:s=160x120:d=1:r=1" -f lavfi -i "color=c=blue:s=160x120:d=1:r=1" \
  -filter_complex "[0][1][2]concat=n=3:v=1[v]" -map "[v]" -loop 0 anim.gif

# 2 s 320x240 H.264 video; the frame at 10% is testsrc at 0.2 s.
ffmpeg -v error -y -f lavfi -i testsrc=size=320x240:rate=10:duration=2 \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p -movflags +faststart clip.mp4
# Audio only, in an MP4 container: no frame to show.
ffmpeg -v error -y -f lavfi -i sine=frequency=440:duration=1 -c:a aac audio.m4a

# A two-page PDF written by hand (A6 portrait, 297x420 pt; page 1 has a black
# box), with a correct xref table; a copy named .ai stands for an Illustrator
# file (PDF-compatible, which is what Illustrator writes by default).
pdf() {
  c1='0 0 0 rg 20 20 100 100 re f'
  o1='<< /Type /Catalog /Pages 2 0 R >>'
  o2='<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>'
  o3='<< /Type /Page /Parent 2 0 R /MediaBox [0 0 297 420] /Contents 5 0 R >>'
  o4='<< /Type /Page /Parent 2 0 R /MediaBox [0 0 297 420] >>'
  o5="<< /Length ${#c1} >>
stream
$c1
endstream"
  printf '%%PDF-1.4\n' > "$1"
  offs=""
  n=1
  for o in "$o1" "$o2" "$o3" "$o4" "$o5"; do
    offs="$offs $(wc -c < "$1")"
    printf '%d 0 obj\n%s\nendobj\n' "$n" "$o" >> "$1"
    n=$((n+1))
  done
  x=$(wc -c < "$1")
  printf 'xref\n0 6\n0000000000 65535 f \n' >> "$1"
  for off in $offs; do printf '%010d 00000 n \n' "$off" >> "$1"; done
  printf 'trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' "$x" >> "$1"
}
pdf doc.pdf
cp doc.pdf drawing.ai

# A plain SVG, 200x100, a blue rectangle on white.
cat > shape.svg <<'SVG'
<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">
  <rect width="200" height="100" fill="white"/>
  <rect x="10" y="10" width="80" height="80" fill="blue"/>
</svg>
SVG

# Hostile text files that must never reach ImageMagick or Ghostscript.
cat > mvg.jpg <<'MVG'
push graphic-context
viewbox 0 0 640 480
fill 'url(http://127.0.0.1:9/x.jpg)'
image over 0,0 0,0 'msl:/tmp/damask-pwned.msl'
pop graphic-context
MVG
cat > msl.jpg <<'MSL'
<?xml version="1.0" encoding="UTF-8"?>
<image>
<read filename="http://127.0.0.1:9/x.gif" />
<write filename="/tmp/damask-pwned.png" />
</image>
MSL
cat > pipe.eps <<'EPS'
%!PS-Adobe-3.0 EPSF-3.0
%%BoundingBox: 0 0 100 100
(%pipe%touch /tmp/damask-pwned) (r) file
showpage
EPS
printf 'PK\003\004 not really a zip' > archive.zip
