package library_test

import (
	"strings"
	"testing"
	"time"

	"damask"
	"damask/library"
)

// The trash as users see it: members list and restore, holder and admins
// empty, guests do neither; each restore and emptying is audited.
func TestTrashByRole(t *testing.T) {
	ctx := t.Context()
	now := time.Now()
	svc, _ := newService(t, &now)
	if _, _, err := svc.EnsureDefault(ctx, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	a, err := svc.AccountByName(ctx, library.DefaultAccount)
	if err != nil {
		t.Fatal(err)
	}
	users := map[damask.Role]library.Caller{}
	for _, role := range []damask.Role{damask.RoleMember, damask.RoleGuest} {
		login, email, pw, r := string(role), string(role)+"@example.com", "correct horse battery", string(role)
		u, err := svc.AddUser(ctx, a.Name, library.UserChanges{Login: &login, Email: &email, Password: &pw, Role: &r})
		if err != nil {
			t.Fatal(err)
		}
		users[role] = library.Caller{Account: a, User: u}
	}
	admin, err := svc.Authenticate(ctx, a, "admin", "correct horse battery", "test")
	if err != nil {
		t.Fatal(err)
	}
	users[damask.RoleHolder] = library.Caller{Account: a, User: admin}
	member, guest, holder := users[damask.RoleMember], users[damask.RoleGuest], users[damask.RoleHolder]

	add := func() int64 {
		f, err := svc.ReceiveFile(ctx, member, library.FileInput{Body: strings.NewReader("x"), Filename: "x.txt", Length: -1})
		if err != nil {
			t.Fatal(err)
		}
		as, err := svc.CreateAsset(ctx, member, library.AssetInput{File: f})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.DeleteAsset(ctx, member, as.ID); err != nil {
			t.Fatal(err)
		}
		return as.ID
	}
	one, two := add(), add()

	if _, _, err := svc.TrashedAssets(ctx, guest, damask.Page{Number: 1, Size: 10}); damask.ErrorCode(err) != damask.EFORBIDDEN {
		t.Errorf("guest lists the trash: %v", err)
	}
	if err := svc.RestoreAsset(ctx, guest, one); damask.ErrorCode(err) != damask.EFORBIDDEN {
		t.Errorf("guest restores: %v", err)
	}
	as, n, err := svc.TrashedAssets(ctx, member, damask.Page{Number: 1, Size: 10})
	if err != nil || n != 2 || len(as) != 2 {
		t.Fatalf("member's trash: %d assets, %v", n, err)
	}
	if err := svc.RestoreAsset(ctx, member, one); err != nil {
		t.Fatalf("member restores: %v", err)
	}
	if _, err := svc.Asset(ctx, member, one); err != nil {
		t.Errorf("restored asset: %v", err)
	}
	if err := svc.RestoreAsset(ctx, member, one); damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("restore of an asset outside the trash: %v", err)
	}
	if _, err := svc.EmptyAccountTrash(ctx, member); damask.ErrorCode(err) != damask.EFORBIDDEN {
		t.Errorf("member empties the trash: %v", err)
	}
	if n, err := svc.EmptyAccountTrash(ctx, holder); err != nil || n != 1 {
		t.Errorf("holder empties the trash: %d, %v", n, err)
	}
	if _, err := svc.Asset(ctx, member, two); damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("purged asset: %v", err)
	}
	es, _, err := svc.Audit(ctx, holder, damask.Page{Number: 1, Size: 50})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range es {
		seen[e.Action] = true
	}
	if !seen[damask.AuditAssetRestored] || !seen[damask.AuditTrashEmptied] {
		t.Errorf("audit log lacks the restore or the emptying: %v", seen)
	}
}
