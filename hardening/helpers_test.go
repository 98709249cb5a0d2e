package hardening

import "damask/servertest"

// multipartFile is a multipart/form-data body with one file part "file"
// named name; its Content-Type is claimed, or the default when "".
func multipartFile(name, claimed string, data []byte) (body []byte, contentType string) {
	return servertest.MultipartAs(name, claimed, data)
}
