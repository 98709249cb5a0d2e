package damask

import "context"

// Mail is one e-mail the server sends: to one or more addresses, plain
// text (and, when HTML is set, an HTML part beside it). From is left to
// the Mailer, which knows the operator's sender address.
type Mail struct {
	To      []string
	Subject string
	Text    string
	HTML    string
}

// Mailer sends e-mail through the operator's SMTP server (package mail).
// A server without one has a nil Mailer, and the mails it would send are
// not sent: nothing that needs them fails for it.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}
