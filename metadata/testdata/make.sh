#!/bin/sh
# make.sh regenerates the sample files of the metadata tests with the tools
# the setup script installs (ffmpeg, exiftool, python3 for the hand-made PDF).
# Run it from this directory. The outputs are committed; the tests check
# their fields exactly, so regenerate only on purpose.
set -eu

ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }

# photo.jpg: 64x48, EXIF with orientation 6 (rotated 90 CW), so the
# displayed size is 48x64.
ff -f lavfi -i testsrc=size=64x48 -frames:v 1 photo.jpg
exiftool -q -overwrite_original \
  -EXIF:Make=Canon -EXIF:Model="Canon EOS R5" -EXIF:LensModel="RF24-105mm F4 L IS USM" \
  -EXIF:DateTimeOriginal="2024:05:17 14:03:22" -EXIF:OffsetTimeOriginal="+02:00" \
  -EXIF:Orientation#=6 \
  -GPSLatitude=46.2044 -GPSLatitudeRef=N -GPSLongitude=6.1432 -GPSLongitudeRef=E \
  -IPTC:Keywords=lake -IPTC:Keywords=geneva -IPTC:Keywords=Summer \
  -IPTC:Caption-Abstract="Jet d'eau at noon" -IPTC:By-line="Ada Photographer" \
  -XMP-dc:Subject=geneva -XMP-dc:Subject=fountain \
  -XMP-dc:Title="The fountain" -XMP-dc:Rights="(c) 2024 Ada" \
  -XMP-dc:Description="Jet d'eau at noon" \
  -codedcharacterset=utf8 \
  photo.jpg

# -evil.jpg: a plain JPEG whose name starts with '-'.
ff -f lavfi -i testsrc=size=32x32 -frames:v 1 ./-evil.jpg

# plain.png: 40x30 RGBA.
ff -f lavfi -i color=c=red@0.5:size=40x30,format=rgba -frames:v 1 plain.png

# clip.mp4: 2 s, 160x120 H.264 + AAC.
ff -f lavfi -i testsrc=size=160x120:rate=10 -f lavfi -i sine=frequency=440:sample_rate=22050 \
  -t 2 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -b:a 32k -shortest clip.mp4

# tone.mp3: 1 s mono MP3.
ff -f lavfi -i sine=frequency=440:sample_rate=22050 -t 1 -c:a libmp3lame -b:a 32k -ac 1 tone.mp3

# doc.pdf: two pages of text, written by hand with a correct xref table.
python3 - <<'PY'
pages = ["Damask first page hello", "Second page kumquat"]
objs = []
n = len(pages)
# 1 catalog, 2 pages, 3 font, then (page, content) pairs
kids = " ".join(f"{4+2*i} 0 R" for i in range(n))
objs.append("<< /Type /Catalog /Pages 2 0 R >>")
objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>")
objs.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
for i, text in enumerate(pages):
    objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Resources << /Font << /F1 3 0 R >> >> /Contents {5+2*i} 0 R >>")
    stream = f"BT /F1 12 Tf 10 50 Td ({text}) Tj ET"
    objs.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
out = b"%PDF-1.4\n"
offs = []
for i, o in enumerate(objs):
    offs.append(len(out))
    out += f"{i+1} 0 obj\n{o}\nendobj\n".encode()
xref = len(out)
out += f"xref\n0 {len(objs)+1}\n0000000000 65535 f \n".encode()
for o in offs:
    out += f"{o:010d} 00000 n \n".encode()
out += f"trailer\n<< /Size {len(objs)+1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
open("doc.pdf", "wb").write(out)
PY

# Bad inputs.
: > empty.jpg
head -c 300 photo.jpg > truncated.jpg
head -c 2000 clip.mp4 > truncated.mp4
head -c 4096 /dev/urandom > corrupt.jpg
printf '\377\330\377\340garbage' >> corrupt.jpg
