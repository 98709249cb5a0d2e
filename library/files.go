package library

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"
	"sync"
	"syscall"

	"damask"
	"damask/media"
)

// FileInput is a file as a client sends it.
type FileInput struct {
	// Body answers an error that is damask.ErrBodyTooLarge when its sender
	// cut it at a size limit.
	Body     io.Reader
	Filename string
	// Length is the size the client announced, or -1.
	Length int64
	// Pending are the bytes of files received before this one in the
	// same request and not recorded yet (an Inbox's submission): the
	// plan's quota counts them too.
	Pending int64
}

// StoredFile is a file that is durable in the blob store but that no record
// points at yet: an upload or an asset's version may use it. A stored file
// no record ever uses is collected later.
type StoredFile struct {
	Blob        damask.BlobInfo
	Filename    string
	ContentType string
}

// copyBufSize is the buffer copyFile reads a body into and hands to the
// blob writer. Large enough that the disk store hashes each chunk beside
// its write (at least its pipelineMin, 64 KiB), small enough to stay in
// the core's cache between the socket read that fills it and the write
// that copies it into the page cache: with 1 MiB, that copy ran 1.3 to 6
// times slower per byte under load (profiles in bench/notes.md).
const copyBufSize = 128 << 10

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// ReceiveFile streams a client's file into the blob store, hashing it on
// the way, and answers once it is durable. Members and above may. It
// answers ETOOLARGE past the size limit and EQUOTA when the plan's storage
// would overflow, the disk is full or the file would eat into the disk's
// reserve, leaving nothing behind; EINVALID for an empty file; ETHROTTLED
// when the user already sends as many files as Options.MaxUploadsPerUser.
func (s *Service) ReceiveFile(ctx context.Context, c Caller, f FileInput) (*StoredFile, error) {
	h, err := s.receiveFile(ctx, c, f)
	if err != nil {
		return nil, err
	}
	defer h.abort() // a no-op once committed
	return h.commit(ctx)
}

// heldFile is a file received whole and checked by receiveFile, not yet
// durable: commit makes it so, abort drops it. An Inbox's submission
// holds its files so until the last has arrived, so that a submission
// refused half way leaves no file behind.
type heldFile struct {
	w    damask.BlobWriter
	name string
	head []byte
}

func (h *heldFile) size() int64 { return h.w.Written() }

func (h *heldFile) commit(ctx context.Context) (*StoredFile, error) {
	info, err := h.w.Commit(ctx)
	if err != nil {
		return nil, storageError("store file", err)
	}
	return &StoredFile{Blob: info, Filename: h.name, ContentType: DetectType(h.head, h.name)}, nil
}

func (h *heldFile) abort() { h.w.Abort() }

// receiveFile is ReceiveFile up to the commit, which it leaves to the
// caller.
func (s *Service) receiveFile(ctx context.Context, c Caller, f FileInput) (_ *heldFile, err error) {
	if err := require(c, damask.RoleMember, "add files"); err != nil {
		return nil, err
	}
	release, err := s.takeUploadSlot(ctx, c)
	if err != nil {
		return nil, err
	}
	defer release()
	if f.Length > s.maxFile {
		return nil, s.tooLarge()
	}
	if f.Length > 0 {
		if err := s.checkQuota(ctx, c.Account, f.Pending+f.Length); err != nil {
			return nil, err
		}
		if err := s.checkDisk(ctx, f.Length); err != nil {
			return nil, err
		}
	}
	w, err := s.blobs.Create(ctx)
	if err != nil {
		return nil, storageError("start file", err)
	}
	defer func() {
		if err != nil {
			w.Abort()
		}
	}()
	head, err := s.copyFile(ctx, w, f.Body)
	if err != nil {
		return nil, err
	}
	if w.Written() == 0 {
		return nil, damask.Errorf(damask.EINVALID, "File is empty")
	}
	if err := s.checkQuota(ctx, c.Account, f.Pending+w.Written()); err != nil {
		return nil, err
	}
	// The bytes are on the disk already, in the temporary file: what is
	// free now is what would be left.
	if err := s.checkDisk(ctx, 0); err != nil {
		return nil, err
	}
	return &heldFile{w: w, name: CleanFilename(f.Filename), head: head}, nil
}

// copyFile copies the body into w, at most maxFile bytes, and answers the
// first 512 bytes for type detection. Failures of the client (a broken or
// oversized body) and of storage get their own codes.
func (s *Service) copyFile(ctx context.Context, w damask.BlobWriter, body io.Reader) ([]byte, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var head []byte
	checked := int64(0) // bytes written at the last look at the free space
	told := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, &damask.Error{Code: damask.ECANCELED, Message: "Request canceled", Err: err}
		}
		n, rerr := body.Read(buf)
		if n > 0 {
			if w.Written()+int64(n) > s.maxFile {
				return nil, s.tooLarge()
			}
			if len(head) < 512 {
				head = append(head, buf[:min(n, 512-len(head))]...)
			}
			if _, err := w.Write(buf[:n]); err != nil {
				return nil, storageError("write file", err)
			}
			s.tellIncoming(w.Written(), &told)
			if w.Written()-checked >= diskCheckEvery {
				checked = w.Written()
				if err := s.checkDisk(ctx, 0); err != nil {
					return nil, err
				}
			}
		}
		if rerr == io.EOF {
			return head, nil
		}
		if rerr != nil {
			if errors.Is(rerr, damask.ErrBodyTooLarge) {
				return nil, s.tooLarge()
			}
			// A body that tells what is wrong with it (a checksum
			// that does not match) says so itself.
			var de *damask.Error
			if errors.As(rerr, &de) {
				return nil, de
			}
			return nil, &damask.Error{Code: damask.EMALFORMED, Message: "The file could not be read to its end", Err: rerr}
		}
	}
}

// tellIncoming calls Options.Incoming once n bytes of a file have come,
// once a file (told).
func (s *Service) tellIncoming(n int64, told *bool) {
	if !*told && n >= incomingAfter && s.incoming != nil {
		*told = true
		s.incoming()
	}
}

func (s *Service) tooLarge() error {
	return damask.Errorf(damask.ETOOLARGE, "File is larger than the limit of %d bytes", s.maxFile)
}

// storageError reports a failure of the blob store: a full disk is EQUOTA,
// anything else internal.
func storageError(doing string, err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return &damask.Error{Code: damask.EQUOTA, Message: "Storage is full", Err: err}
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// checkQuota answers EQUOTA when adding size bytes would take the account
// over its plan's storage.
func (s *Service) checkQuota(ctx context.Context, a *damask.Account, size int64) error {
	limit := s.Plan(a).StorageLimit
	if limit == 0 {
		return nil
	}
	st, err := s.store.AccountStats(ctx, a.ID)
	if err != nil {
		return fmt.Errorf("account stats: %w", err)
	}
	if st.UsedSpace+size > limit {
		return damask.Errorf(damask.EQUOTA, "The %s plan's storage of %d bytes is full (%d used)", a.Plan, limit, st.UsedSpace)
	}
	return nil
}

// zipTypes are the office formats that are zip files, which the bytes
// alone call application/zip. Go's own table lacks them and reads them from
// the host's mime.types, which a slim container may not have; kept here,
// a .docx is the same type on every host.
var zipTypes = map[string]string{
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".odt":  "application/vnd.oasis.opendocument.text",
	".ods":  "application/vnd.oasis.opendocument.spreadsheet",
	".odp":  "application/vnd.oasis.opendocument.presentation",
}

// DetectType names the media type of a file from its first bytes, and
// from its name only where the bytes say nothing more specific: what a
// client claims is never believed, so an HTML page sent as image/jpeg stays
// text/html.
func DetectType(head []byte, filename string) string {
	sniffed := media.Sniff(head)
	ext := strings.ToLower(path.Ext(filename))
	byName, ok := zipTypes[ext]
	if !ok {
		byName = mime.TypeByExtension(ext)
	}
	switch {
	case byName == "":
	case sniffed == "application/octet-stream",
		strings.HasPrefix(sniffed, "text/plain") && (strings.HasPrefix(byName, "text/") || strings.HasSuffix(byName, "+xml")),
		strings.HasPrefix(sniffed, "text/xml") && strings.HasSuffix(byName, "+xml"),
		sniffed == "application/zip" && (strings.Contains(byName, "officedocument") || strings.Contains(byName, "opendocument")):
		return byName
	}
	return sniffed
}
