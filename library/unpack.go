package library

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"

	"damask"
)

// Unpacking a zip archive into assets: every file of the archive becomes
// an asset whose Path is the folder it sat in.
//
// All or nothing: the archive is read whole from its central directory and
// refused before a byte is extracted when any entry is hostile or past a
// limit (a bomb, too many entries, a name that climbs out or is absolute,
// a link, an encrypted entry, two entries of one name); then each file is
// streamed into the blob store, and the assets are made in one
// transaction at the end. An entry found corrupt while it streams, the
// plan's storage or the disk's reserve filling up, or any other failure
// midway makes nothing: the files already streamed are referenced by no
// record, and the collector removes them (collect.go). The client fixes
// the archive or makes room and sends it again; there is no half-made
// folder to find and clean up first. What is skipped on purpose (a file
// the library holds already, an empty file, a system file of macOS or
// Windows) is reported entry by entry.

// Limits of an archive unpacked.
const (
	// MaxArchiveEntries is the most entries (files and folders) an
	// archive may have.
	MaxArchiveEntries = 10000
	// maxCentralDirectory bounds the bytes of the archive's directory
	// that archive/zip reads into memory before anything can be counted.
	maxCentralDirectory = 8 << 20
	// MaxUnpackRatio is the most an archive may grow by when unpacked,
	// as a whole and entry by entry, once it unpacks to more than
	// ratioFloor: real files compress a few times (text ten or twenty),
	// bombs a thousand.
	MaxUnpackRatio = 100
	ratioFloor     = 64 << 20
)

// Reasons an entry is skipped.
const (
	SkipDuplicate = "duplicate" // the library holds its bytes already (AssetID) or an earlier entry has them
	SkipEmpty     = "empty"     // no bytes
	SkipSystem    = "system"    // __MACOSX, .DS_Store, Thumbs.db, desktop.ini
)

// UnpackInput is an unpack: the archive, a file already stored (File, as
// ReceiveFile or a finished resumable upload answers) or an upload of the
// account (UploadID, consumed when the assets are made), and what to give
// every asset made.
type UnpackInput struct {
	File     *StoredFile
	UploadID int64
	// Path is the folder the archive's folders go below (CleanPath); ""
	// is the top.
	Path string
	// PathTags makes the name of each folder of an asset's Path a tag of
	// it.
	PathTags    bool
	Tags        *string // a list of tags for every asset, as AssetInput's
	Description *string
}

// UnpackReport is what an unpack did.
type UnpackReport struct {
	Archive string // the archive's filename
	Files   int    // the entries that are files (folders are not counted)
	Assets  []*damask.Asset
	Skipped []SkippedEntry
}

// SkippedEntry is an entry of the archive that made no asset, and why.
type SkippedEntry struct {
	Name    string // as the archive names it (valid UTF-8, / between folders)
	Reason  string // SkipDuplicate, SkipEmpty or SkipSystem
	AssetID int64  // for a duplicate, the asset that holds the bytes
}

// archiveEntry is a file of the archive as planArchive checked it.
type archiveEntry struct {
	f    *zip.File
	raw  string // the entry's name as the archive writes it, / between folders
	dir  string // clean folder inside the archive
	name string // clean filename
	skip string // a reason to skip it, known from the directory
}

// Unpack makes an asset of every file of a zip archive, as ReceiveFile
// and CreateAsset would of each file sent alone (type from the bytes,
// size and quota limits, processing queued), with Path the folder inside
// the archive below in.Path. It is the one way an archive is unpacked,
// whatever brought it (a multipart or raw upload, an upload id, a
// resumable upload). Members and above may. All or nothing (see above):
// EINVALID for an archive refused, naming the entry; ETOOLARGE for an
// entry past the size limit; EQUOTA when the plan's storage or the disk's
// reserve would be passed; ETHROTTLED as ReceiveFile. Nested archives are
// kept as files, never unpacked in turn.
func (s *Service) Unpack(ctx context.Context, c Caller, in UnpackInput) (*UnpackReport, error) {
	if err := require(c, damask.RoleMember, "add assets"); err != nil {
		return nil, err
	}
	if (in.File == nil) == (in.UploadID == 0) {
		return nil, damask.Errorf(damask.EINVALID, "Unpack a file or an upload_id, one of them")
	}
	base, err := CleanPath(in.Path)
	if err != nil {
		return nil, err
	}
	var common []string
	if in.Tags != nil {
		if common, err = s.tagNames(ctx, c.Account.ID, *in.Tags); err != nil {
			return nil, err
		}
	}
	desc := ""
	if in.Description != nil {
		if desc, err = text("Description", *in.Description, maxDescription, true); err != nil {
			return nil, err
		}
	}
	bulk, ok := s.store.(damask.BulkCreator)
	if !ok {
		return nil, errors.New("unpack: the store cannot create assets in one transaction")
	}
	release, err := s.takeUploadSlot(ctx, c)
	if err != nil {
		return nil, err
	}
	defer release()

	f, uploadSize := in.File, int64(0)
	if f == nil {
		u, err := s.UploadByID(ctx, c, in.UploadID)
		if err != nil {
			return nil, uploadGone(in.UploadID, err)
		}
		f = &StoredFile{Blob: damask.BlobInfo{Ref: u.Blob, Size: u.Size}, Filename: u.Filename, ContentType: u.ContentType}
		uploadSize = u.Size // consumed by the unpack: its room is the assets'
	}
	rc, err := s.blobs.Open(ctx, f.Blob.Ref)
	if err != nil {
		return nil, fmt.Errorf("open archive %s: %w", f.Blob.Ref, err)
	}
	defer rc.Close()
	entries, err := planArchive(readerAt(rc), f.Blob.Size, s.maxFile)
	if err != nil {
		return nil, err
	}

	if in.PathTags {
		if err := folderTagLimit(base, entries); err != nil {
			return nil, err
		}
	}
	limit := s.Plan(c.Account).StorageLimit
	st, err := s.store.AccountStats(ctx, c.Account.ID)
	if err != nil {
		return nil, fmt.Errorf("account stats: %w", err)
	}
	used := st.UsedSpace - uploadSize
	report := &UnpackReport{Archive: f.Filename, Assets: []*damask.Asset{}, Skipped: []SkippedEntry{}}
	made := map[damask.BlobRef]*damask.Asset{} // by file, to skip a second copy within the archive
	var dupOf []*damask.Asset                  // per report.Skipped entry: the asset of this unpack it repeats
	skip := func(e archiveEntry, reason string, id int64, of *damask.Asset) {
		report.Skipped = append(report.Skipped, SkippedEntry{Name: e.raw, Reason: reason, AssetID: id})
		dupOf = append(dupOf, of)
	}
	for _, e := range entries {
		report.Files++
		if e.skip != "" {
			skip(e, e.skip, 0, nil)
			continue
		}
		size := int64(e.f.UncompressedSize64) // archive/zip fails a read past it
		if limit > 0 && used+size > limit {
			return nil, damask.Errorf(damask.EQUOTA, "The %s plan's storage of %d bytes is full: %s of the archive does not fit (nothing was unpacked)",
				c.Account.Plan, limit, joinPath(e.dir, e.name))
		}
		if err := s.checkDisk(ctx, size); err != nil {
			return nil, err
		}
		info, head, err := s.unpackEntry(ctx, e)
		if err != nil {
			return nil, err
		}
		if a, ok := made[info.Ref]; ok {
			skip(e, SkipDuplicate, 0, a)
			continue
		}
		held, err := s.store.AssetByBlob(ctx, c.Account.ID, info.Ref)
		switch {
		case err == nil:
			skip(e, SkipDuplicate, held.ID, nil)
			continue
		case damask.ErrorCode(err) != damask.ENOTFOUND:
			return nil, fmt.Errorf("look for %s: %w", info.Ref, err)
		}
		used += info.Size
		a := &damask.Asset{AccountID: c.Account.ID, UserID: c.User.ID, Description: desc,
			Path: joinPath(base, e.dir), Filename: e.name, ContentType: DetectType(head, e.name),
			Size: info.Size, Blob: info.Ref, Processing: s.newProcessing()}
		a.Title = strings.TrimSuffix(e.name, path.Ext(e.name))
		if a.Title == "" {
			a.Title = e.name
		}
		a.Title = truncate(a.Title, maxTitle) // a clean filename is a title, but may be longer
		a.Tags = assetTags(common, a.Path, in.PathTags)
		if c.Account.PublicLinks {
			newLink(c, a)
		}
		made[info.Ref] = a
		report.Assets = append(report.Assets, a)
	}
	if len(report.Assets) > 0 {
		if err := bulk.CreateAssets(ctx, report.Assets); err != nil {
			return nil, fmt.Errorf("create the assets of archive %s: %w", f.Blob.Ref, err)
		}
		s.queued()
	}
	for i, of := range dupOf {
		if of != nil {
			report.Skipped[i].AssetID = of.ID
		}
	}
	if in.UploadID != 0 {
		if err := s.store.DeleteUpload(ctx, c.Account.ID, in.UploadID); err != nil && damask.ErrorCode(err) != damask.ENOTFOUND {
			// The assets are made; the upload expires on its own.
			s.log.Warn("unpacked upload not deleted", "upload", in.UploadID, "err", err)
		}
	}
	return report, nil
}

// assetTags are the tags of an unpacked asset: the common list, then,
// with pathTags, the name of each folder of its path that is a valid tag
// (commas, which separate tags, become spaces), at most MaxAssetTags.
func assetTags(common []string, p string, pathTags bool) []damask.Tag {
	names := append([]string{}, common...)
	if pathTags && p != "" {
		for _, seg := range strings.Split(p, "/") {
			if n, err := validTag(strings.ReplaceAll(seg, ",", " ")); err == nil {
				names = append(names, n)
			}
		}
	}
	names = distinctTags(names)
	if len(names) > MaxAssetTags {
		names = names[:MaxAssetTags]
	}
	tags := make([]damask.Tag, len(names))
	for i, n := range names {
		tags[i] = damask.Tag{Name: n}
	}
	return tags
}

// MaxFolderTags is the most tags the folder names of one archive may
// make with PathTags: a request may make thousands of folders, but not
// thousands of tags by accident.
const MaxFolderTags = 1000

// folderTagLimit refuses an unpack with PathTags whose folders have more
// than MaxFolderTags names, before anything is extracted.
func folderTagLimit(base string, entries []archiveEntry) error {
	names := map[string]bool{}
	for _, e := range entries {
		if e.skip != "" {
			continue
		}
		for _, seg := range strings.Split(joinPath(base, e.dir), "/") {
			if seg != "" {
				names[foldASCII(seg)] = true
			}
		}
	}
	if len(names) > MaxFolderTags {
		return refuse("its folders have %d names, more than the %d tags path_tags may make; unpack it without path_tags", len(names), MaxFolderTags)
	}
	return nil
}

// truncate cuts s to at most max bytes on a character boundary.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "")
}

// unpackEntry streams one file of the archive into the blob store,
// hashing it on the way, as ReceiveFile does a client's body.
func (s *Service) unpackEntry(ctx context.Context, e archiveEntry) (damask.BlobInfo, []byte, error) {
	r, err := e.f.Open()
	if err != nil {
		return damask.BlobInfo{}, nil, corrupt(e, err)
	}
	defer r.Close()
	w, err := s.blobs.Create(ctx)
	if err != nil {
		return damask.BlobInfo{}, nil, storageError("start file", err)
	}
	defer w.Abort() // a no-op once committed
	head, err := s.copyFile(ctx, w, entryReader{r: r, e: e})
	if err != nil {
		return damask.BlobInfo{}, nil, err
	}
	info, err := w.Commit(ctx)
	if err != nil {
		return damask.BlobInfo{}, nil, storageError("store file", err)
	}
	return info, head, nil
}

// entryReader names the entry in its read errors: a CRC that does not
// match, or more or fewer bytes than the directory says.
type entryReader struct {
	r io.Reader
	e archiveEntry
}

func (er entryReader) Read(p []byte) (int, error) {
	n, err := er.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = corrupt(er.e, err)
	}
	return n, err
}

func corrupt(e archiveEntry, err error) error {
	return &damask.Error{Code: damask.EINVALID, Err: err,
		Message: fmt.Sprintf("The archive's entry %q is corrupt (nothing was unpacked): %v", joinPath(e.dir, e.name), err)}
}

// refuse is the answer to an archive refused before anything is
// extracted.
func refuse(format string, args ...any) error {
	return damask.Errorf(damask.EINVALID, "The archive was refused, nothing was unpacked: "+format, args...)
}

// planArchive reads the archive's directory and checks every entry before
// anything is extracted: the limits on entries, sizes and ratios, and the
// names (RELIABILITY items 8 and 9). It answers the files in archive
// order, folders left out.
func planArchive(r io.ReaderAt, size, maxFile int64) ([]archiveEntry, error) {
	n, span, err := zipDirectory(r, size)
	if err != nil {
		return nil, err
	}
	if n > MaxArchiveEntries {
		return nil, refuse("it has %d entries, more than the limit of %d", n, MaxArchiveEntries)
	}
	if span > maxCentralDirectory {
		return nil, refuse("its directory takes %d bytes, more than the limit of %d", span, maxCentralDirectory)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // names are checked below, one by one
		return nil, damask.Errorf(damask.EINVALID, "The file is not a zip archive that can be read: %v", err)
	}
	if len(zr.File) > MaxArchiveEntries {
		return nil, refuse("it has %d entries, more than the limit of %d", len(zr.File), MaxArchiveEntries)
	}
	var (
		out   []archiveEntry
		total uint64
		files = map[string]bool{} // full clean names of files
		dirs  = map[string]bool{} // every folder a file sits in
	)
	for _, zf := range zr.File {
		name := zf.Name
		mode := zf.Mode()
		switch {
		case strings.ContainsRune(name, 0):
			return nil, refuse("the entry %q holds a NUL", name)
		case strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || hasDrive(name):
			return nil, refuse("the entry %q is an absolute path", name)
		case climbs(name):
			return nil, refuse("the entry %q names a place outside the archive's folder", name)
		case mode&fs.ModeSymlink != 0:
			return nil, refuse("the entry %q is a symbolic link", name)
		case zf.Flags&0x1 != 0:
			return nil, refuse("the entry %q is encrypted", name)
		}
		if zf.FileInfo().IsDir() || strings.HasSuffix(name, "/") || strings.HasSuffix(name, `\`) {
			continue
		}
		if !mode.IsRegular() {
			return nil, refuse("the entry %q is not a regular file (%v)", name, mode)
		}
		if zf.Method != zip.Store && zf.Method != zip.Deflate {
			return nil, refuse("the entry %q is compressed by method %d; only stored and deflated entries are read", name, zf.Method)
		}
		if zf.UncompressedSize64 > uint64(maxFile) {
			return nil, damask.Errorf(damask.ETOOLARGE, "The archive's entry %q is larger than the limit of %d bytes (nothing was unpacked)", name, maxFile)
		}
		if zf.UncompressedSize64 > ratioFloor && zf.UncompressedSize64/max(zf.CompressedSize64, 1) > MaxUnpackRatio {
			return nil, refuse("the entry %q would grow from %d to %d bytes, more than %d times: a zip bomb", name, zf.CompressedSize64, zf.UncompressedSize64, MaxUnpackRatio)
		}
		total += zf.UncompressedSize64
		if total > uint64(maxFile) {
			return nil, damask.Errorf(damask.ETOOLARGE, "The archive unpacks to more than the limit of %d bytes (nothing was unpacked)", maxFile)
		}
		dir, file := path.Split(strings.ReplaceAll(name, `\`, "/"))
		clean, err := CleanPath(dir)
		if err != nil {
			return nil, refuse("the entry %q: %s", name, damask.ErrorMessage(err))
		}
		e := archiveEntry{f: zf, raw: strings.ToValidUTF8(dir+file, "\uFFFD"), dir: clean, name: CleanFilename(file)}
		full := joinPath(e.dir, e.name)
		if files[full] {
			return nil, refuse("two entries are named %q", full)
		}
		files[full] = true
		for d := e.dir; d != ""; {
			dirs[d] = true
			i := strings.LastIndexByte(d, '/')
			if i < 0 {
				break
			}
			d = d[:i]
		}
		switch {
		case systemFile(e.dir, file):
			e.skip = SkipSystem
		case zf.UncompressedSize64 == 0:
			e.skip = SkipEmpty
		}
		out = append(out, e)
	}
	for full := range files {
		if dirs[full] {
			return nil, refuse("%q is both a file and a folder", full)
		}
	}
	if total > ratioFloor && total/uint64(max(size, 1)) > MaxUnpackRatio {
		return nil, refuse("it would grow from %d to %d bytes, more than %d times: a zip bomb", size, total, MaxUnpackRatio)
	}
	return out, nil
}

// climbs tells whether a name has a ".." segment, with / or \ between
// segments.
func climbs(name string) bool {
	for _, seg := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if strings.TrimSpace(seg) == ".." {
			return true
		}
	}
	return false
}

// hasDrive tells whether a name starts with a Windows drive, C: or C:\.
func hasDrive(name string) bool {
	return len(name) >= 2 && name[1] == ':' && (name[0]|0x20 >= 'a' && name[0]|0x20 <= 'z')
}

// systemFile tells the files operating systems leave in folders they
// zip, which are nobody's asset.
func systemFile(dir, file string) bool {
	if dir == "__MACOSX" || strings.HasPrefix(dir, "__MACOSX/") || strings.HasPrefix(file, "._") {
		return true
	}
	switch strings.ToLower(file) {
	case ".ds_store", "thumbs.db", "desktop.ini":
		return true
	}
	return false
}

// zipDirectory reads the end of a zip archive, as archive/zip would, to
// learn the number of entries it announces and the bytes from the start
// of its directory to the end of the file, so that an archive too large
// to hold in memory is refused before archive/zip reads its directory
// whole. An archive without an end record is left for archive/zip to
// refuse.
func zipDirectory(r io.ReaderAt, size int64) (entries uint64, span int64, err error) {
	const eocdLen, maxComment = 22, 65535
	tail := min(size, eocdLen+maxComment)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return 0, 0, fmt.Errorf("read the archive's end: %w", err)
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, 0, nil
	}
	eocd := buf[i:]
	entries = uint64(binary.LittleEndian.Uint16(eocd[10:]))
	offset := int64(binary.LittleEndian.Uint32(eocd[16:]))
	if entries == 0xffff || offset == 0xffffffff {
		// Zip64: a locator right before the end record points at the
		// zip64 end record, which holds the real figures.
		at := size - tail + int64(i) - 20
		loc := make([]byte, 20)
		if at >= 0 {
			if _, err := r.ReadAt(loc, at); err == nil && bytes.HasPrefix(loc, []byte("PK\x06\x07")) {
				rec := make([]byte, 56)
				recAt := int64(binary.LittleEndian.Uint64(loc[8:]))
				if recAt >= 0 && recAt <= size-56 {
					if _, err := r.ReadAt(rec, recAt); err == nil && bytes.HasPrefix(rec, []byte("PK\x06\x06")) {
						entries = binary.LittleEndian.Uint64(rec[32:])
						offset = int64(binary.LittleEndian.Uint64(rec[48:]))
					}
				}
			}
		}
	}
	if offset < 0 || offset > size {
		offset = 0 // archive/zip refuses it; count the whole file
	}
	return entries, size - offset, nil
}

// readerAt reads a stored file at offsets: itself when it can (a file on
// disk), else through Seek and Read, one at a time (archive/zip reads the
// entries one after the other, which an S3 object's reader answers over
// one request).
func readerAt(rs io.ReadSeeker) io.ReaderAt {
	if ra, ok := rs.(io.ReaderAt); ok {
		return ra
	}
	return &seekReaderAt{rs: rs}
}

type seekReaderAt struct {
	mu sync.Mutex
	rs io.ReadSeeker
}

func (s *seekReaderAt) ReadAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.rs.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	n, err := io.ReadFull(s.rs, p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF // short at the end, as ReaderAt says
	}
	return n, err
}
