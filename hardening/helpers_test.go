package hardening

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/textproto"
)

// multipartFile is a multipart/form-data body with one file part "file"
// named name; its Content-Type is claimed, or the default when "".
func multipartFile(name, claimed string, data []byte) (body []byte, contentType string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
	if claimed == "" {
		claimed = "application/octet-stream"
	}
	h.Set("Content-Type", claimed)
	w, _ := mw.CreatePart(h)
	w.Write(data)
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}
