package media

// #include <stdlib.h>
// #include <vips/vips.h>
import "C"

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"unsafe"
)

// magickPolicy is the ImageMagick policy Damask runs with. ImageMagick
// reads only PSD: every other coder is denied (its MVG, MSL,
// SVG, PostScript, URL and text coders are the classic ways a file makes
// ImageMagick read other files, fetch URLs or run Ghostscript), and so are
// delegates (external programs), filters and indirect reads (@file). Its
// own resource limits keep a PSD to the pixel cap and a pixel cache in
// memory of bounded size; one thread, as for libvips.
//
// ImageMagick's "time" resource is left unset on purpose: when it runs out
// ImageMagick 6 ends the whole process. So is the "module" domain: a rule
// there refuses ImageMagick 6.9 the PSD module itself (its check does not
// match the name the rule gives), and a coder's module that loads can
// still read nothing, the coder being denied.
const magickPolicy = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE policymap [
<!ELEMENT policymap (policy)*>
<!ATTLIST policymap xmlns CDATA #FIXED "">
<!ELEMENT policy EMPTY>
<!ATTLIST policy xmlns CDATA #FIXED "" domain NMTOKEN #REQUIRED name NMTOKEN #IMPLIED pattern CDATA #IMPLIED rights NMTOKEN #IMPLIED stealth NMTOKEN #IMPLIED value CDATA #IMPLIED>
]>
<!-- Written by Damask (package media) before libvips starts. -->
<policymap>
  <policy domain="resource" name="memory" value="512MiB"/>
  <policy domain="resource" name="map" value="1GiB"/>
  <policy domain="resource" name="disk" value="1GiB"/>
  <policy domain="resource" name="area" value="100MP"/>
  <policy domain="resource" name="width" value="30KP"/>
  <policy domain="resource" name="height" value="30KP"/>
  <policy domain="resource" name="list-length" value="64"/>
  <policy domain="resource" name="thread" value="1"/>
  <policy domain="delegate" rights="none" pattern="*"/>
  <policy domain="filter" rights="none" pattern="*"/>
  <policy domain="path" rights="none" pattern="@*"/>
  <policy domain="coder" rights="none" pattern="*"/>
  <policy domain="coder" rights="read" pattern="PSD"/>
</policymap>
`

// setMagickPolicy writes magickPolicy to a new private folder and points
// ImageMagick at it (MAGICK_CONFIGURE_PATH, read when libvips first starts
// ImageMagick, so before libvips starts). ImageMagick reads the policy
// once, at the first file, and keeps it; checkMagickPolicy makes that
// happen and then removes the folder with done.
func setMagickPolicy() (done func(), err error) {
	dir, err := os.MkdirTemp("", "damask-magick-")
	if err != nil {
		return nil, err
	}
	done = func() { os.RemoveAll(dir) }
	if err := os.WriteFile(filepath.Join(dir, "policy.xml"), []byte(magickPolicy), 0o600); err != nil {
		done()
		return nil, err
	}
	if err := os.Setenv("MAGICK_CONFIGURE_PATH", dir); err != nil {
		done()
		return nil, err
	}
	return done, nil
}

// checkMagickPolicy proves the policy is in force: a PSD loads through
// ImageMagick and a PNM, another format ImageMagick knows, is refused. If
// either fails, ImageMagick is blocked again and PSD is not rendered. It
// removes the policy's folder with done either way.
func checkMagickPolicy(done func()) bool {
	defer done()
	dir := os.Getenv("MAGICK_CONFIGURE_PATH")
	ok := func() bool {
		psd := filepath.Join(dir, "probe.psd")
		pnm := filepath.Join(dir, "probe.ppm")
		if os.WriteFile(psd, tinyPSD(), 0o600) != nil || os.WriteFile(pnm, []byte("P3\n1 1\n255\n0 0 0\n"), 0o600) != nil {
			return false
		}
		src := newPathSource(psd)
		defer src.free()
		if h, err := src.header(); err != nil || h.width != 1 || h.height != 1 {
			return false
		}
		other := newPathSource(pnm)
		defer other.free()
		_, err := other.header()
		return err != nil
	}()
	if !ok {
		name := C.CString("VipsForeignLoadMagickFile")
		C.vips_operation_block_set(name, C.TRUE)
		C.free(unsafe.Pointer(name))
	}
	return ok
}

// tinyPSD is a 1x1 RGB Photoshop file, uncompressed, with no layers.
func tinyPSD() []byte {
	var b bytes.Buffer
	b.WriteString("8BPS")
	binary.Write(&b, binary.BigEndian, uint16(1)) // version
	b.Write(make([]byte, 6))                      // reserved
	binary.Write(&b, binary.BigEndian, uint16(3)) // channels
	binary.Write(&b, binary.BigEndian, uint32(1)) // height
	binary.Write(&b, binary.BigEndian, uint32(1)) // width
	binary.Write(&b, binary.BigEndian, uint16(8)) // depth
	binary.Write(&b, binary.BigEndian, uint16(3)) // RGB
	b.Write(make([]byte, 4*3))                    // colour mode data, image resources, layers: empty
	binary.Write(&b, binary.BigEndian, uint16(0)) // raw image data
	b.Write([]byte{255, 255, 255})
	return b.Bytes()
}
