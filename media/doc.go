// Package media makes the renditions of Damask assets: JPEG thumbnails
// (64, 128, 256 px), a 1024 px preview and a 2048 px lightbox image, from
// still images through libvips (cgo), from Photoshop files (the composite)
// through libvips' ImageMagick loader, from camera RAW files through the
// largest JPEG they embed (extracted by exiftool), and from videos (a
// frame) and sounds (a waveform) through ffmpeg.
//
// Every file is treated as hostile. The choices that follow from that:
//
//   - The format comes from the file's first bytes (Detect), never from its
//     name or a client's Content-Type. Anything not on the list below is
//     ErrUnsupported before any decoder sees it: PostScript/EPS, ImageMagick
//     MVG/MSL scripts, archives, audio, office documents, playlists.
//   - libvips is started once per process with its operation cache off, one
//     vips thread per operation (parallelism comes from Options.Workers), and
//     every loader blocked (vips_block_untrusted_set, then
//     vips_operation_block_set on VipsForeignLoad) except jpeg, png, gif
//     (libnsgif), webp, tiff, heif/avif, svg (librsvg), pdf (poppler) and
//     ImageMagick's file loader for PSD. Before libvips starts,
//     MAGICK_CONFIGURE_PATH points ImageMagick at a policy (magick.go) that
//     denies every coder but PSD, every delegate (so Ghostscript is never
//     run), filters and @file reads, and bounds its memory and pixels; a
//     check at start loads a PSD and sees a PNM refused, or blocks
//     ImageMagick again and leaves PSD unsupported. So a loader the
//     sniffing did not expect is refused by libvips, and anything that
//     reaches ImageMagick other than a PSD by ImageMagick's policy.
//   - Camera RAW files (CR2, CR3, NEF, ARW, DNG, ORF, RW2, RAF, PEF...) are
//     never decoded: exiftool, a child like ffmpeg, writes out the JPEGs
//     they embed (PreviewImage, JpgFromRaw, OtherImage) and the largest is
//     rendered as a JPEG, turned by the RAW's orientation.
//   - Width x height is read from the header before any pixel is decoded and
//     held to Options.MaxPixels (libvips 8.14 has no global pixel cap). PNG,
//     JPEG and GIF headers are read by the standard library (microseconds, no
//     pixel memory), so a 50000x50000 PNG is refused without touching libvips;
//     other raster formats use libvips' header-only load. Vector formats (SVG,
//     PDF) are rasterised at the requested size, so their declared size costs
//     nothing and is not held to the cap.
//   - SVG is handed to librsvg from memory, with no base URI: relative and
//     file: references next to the blob cannot be resolved, http references
//     are never fetched, scripts never run, external entities are not loaded.
//   - Truncated files fail (libvips fail_on=truncated) instead of rendering a
//     half-grey thumbnail.
//   - A cgo call cannot be cancelled. When the time limit ends, the kill flag
//     of the image being decoded is set so libvips stops at its next tile;
//     a single tile (a page of a PDF, one SVG region) runs to its end.
//   - Videos never enter this process: ffprobe and ffmpeg run as children,
//     without a shell, input passed as a file: path, with
//     -protocol_whitelist file and a demuxer whitelist (so an HLS playlist or
//     ffconcat list named .mp4 opens nothing), one thread, a minimal
//     environment, under kernel limits on address space, CPU time and file
//     size (package subproc; Options.ToolMemory), and killed with their
//     process group at the time limit.
//   - Renditions carry no metadata (EXIF, XMP, GPS, ICC are stripped) and are
//     upright (EXIF orientation applied), 8-bit sRGB, alpha flattened on white.
//
// All renditions of a file come from one decode: libvips shrinks on load to
// the largest size asked for (JPEG decodes at 1/2 to 1/8 scale; PDF and SVG
// rasterise at scale), and every size is made from that decoded image,
// smallest first, so that a thumbnail is ready before the lightbox size is
// encoded.
//
// The binding to libvips is a thin cgo layer of our own (vips.go) rather
// than govips: govips has no call for vips_block_untrusted_set or
// vips_operation_block_set, its Startup installs process-wide logging and
// settings of its own, and its file loading reads whole files into Go
// memory; the few libvips calls needed here fit in a page of C.
package media
