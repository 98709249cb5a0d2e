package library

import (
	"context"
	"fmt"

	"damask"
)

// record writes an audit event of the caller's account. A failure to
// record is logged, not returned: the change it describes is done already.
func (s *Service) record(ctx context.Context, c Caller, action, target, detail string) {
	e := &damask.AuditEvent{AccountID: c.Account.ID, Action: action, Target: target, Detail: detail, Source: c.Source}
	if c.User != nil {
		e.UserID = c.User.ID
	}
	if err := s.store.RecordAudit(ctx, e); err != nil {
		s.log.Error("audit event lost", "account", c.Account.ID, "action", action, "target", target, "err", err)
	}
}

// operator is the caller for changes made from the command line.
func operator(a *damask.Account) Caller { return Caller{Account: a, Source: operatorSource} }

// operatorSource is the Source of the operator's commands.
const operatorSource = "operator"

// Audit lists the security events of the caller's account, newest first;
// holder and admins may.
func (s *Service) Audit(ctx context.Context, c Caller, p damask.Page) ([]*damask.AuditEvent, int, error) {
	if err := requireRole(c, damask.RoleAdmin, "read the audit log"); err != nil {
		return nil, 0, err
	}
	es, n, err := s.store.AuditEvents(ctx, c.Account.ID, p)
	if err != nil {
		return nil, 0, fmt.Errorf("audit events: %w", err)
	}
	return es, n, nil
}

func userTarget(u *damask.User) string { return fmt.Sprintf("user %d (%s)", u.ID, u.Login) }

func assetTarget(id int64) string { return fmt.Sprintf("asset %d", id) }
