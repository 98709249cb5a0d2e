package damask

import (
	"context"
	"time"
)

// AuditEvent is one security event of an account: a sign-in, a failure, a
// token made or revoked, a role changed, the API switched, a plan changed,
// a deletion, a restore.
type AuditEvent struct {
	ID        int64
	AccountID int64
	UserID    int64  // who did it; 0 for the operator or an unknown login
	Action    string // one of the Audit* names
	Target    string // what it was done to, as "user 12" or "asset 7"
	Detail    string // free text, never a secret
	Source    string // the client's address, when there was a client
	At        time.Time
}

// Audit actions.
const (
	AuditSignIn            = "sign_in"
	AuditSignInFailed      = "sign_in_failed"
	AuditSignOut           = "sign_out"
	AuditTokenCreated      = "token_created"
	AuditTokenRevoked      = "token_revoked"
	AuditUserCreated       = "user_created"
	AuditUserChanged       = "user_changed"
	AuditRoleChanged       = "role_changed"
	AuditUserDeleted       = "user_deleted"
	AuditPasswordSet       = "password_set"
	AuditAPISwitched       = "api_switched"
	AuditPlanChanged       = "plan_changed"
	AuditAccountChange     = "account_changed"
	AuditAssetDeleted      = "asset_deleted"
	AuditAssetRestored     = "asset_restored"
	AuditAssetEdited       = "asset_edited"
	AuditTrashEmptied      = "trash_emptied"
	AuditTagDeleted        = "tag_deleted"
	AuditCollectionCreated = "collection_created"
	AuditCollectionChanged = "collection_changed"
	AuditCollectionDeleted = "collection_deleted"
	AuditInboxCreated      = "inbox_created"
	AuditInboxChanged      = "inbox_changed"
	AuditInboxRevoked      = "inbox_revoked"
	// AuditInboxReceived: files came through an Inbox; the user is the
	// Inbox's uploader, the detail names the sender.
	AuditInboxReceived = "inbox_received"
	AuditStageCreated  = "stage_created"
	AuditStageChanged  = "stage_changed"
	AuditStageRevoked  = "stage_revoked"
)

// AuditLog keeps the audit events of every account.
type AuditLog interface {
	// RecordAudit stores e, setting its ID and, when zero, At.
	RecordAudit(ctx context.Context, e *AuditEvent) error
	// AuditEvents lists an account's events, newest first.
	AuditEvents(ctx context.Context, accountID int64, p Page) ([]*AuditEvent, int, error)
}
