// Package storetest is the conformance suite of damask.Store. Every
// implementation runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) damask.Store { ... })
//	}
//
// The suite checks the contracts written in store.go and nothing else, so
// that an implementation passing it can stand in for any other.
package storetest

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"damask"
)

// Run runs the suite. open must answer a new, empty store for each call and
// arrange for it to be closed when t ends.
func Run(t *testing.T, open func(t *testing.T) damask.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s damask.Store)
	}{
		{"Accounts", testAccounts},
		{"AccountStats", testAccountStats},
		{"Users", testUsers},
		{"Tags", testTags},
		{"CreateAsset", testCreateAsset},
		{"CreateAssetFromUpload", testCreateAssetFromUpload},
		{"AddVersion", testAddVersion},
		{"AddVersionClearsExtracted", testAddVersionClearsExtracted},
		{"UpdateAsset", testUpdateAsset},
		{"ThumbToken", testThumbToken},
		{"AssetPath", testAssetPath},
		{"DeleteUpload", testDeleteUpload},
		{"AssetFilters", testAssetFilters},
		{"Search", testSearch},
		{"SearchIndex", testSearchIndex},
		{"SearchPaging", testSearchPaging},
		{"SearchFacetTags", testSearchFacetTags},
		{"SearchMostWords", testSearchMostWords},
		{"SearchLanguage", testSearchLanguage},
		{"SearchDeadline", testSearchDeadline},
		{"Trash", testTrash},
		{"PurgeTrash", testPurgeTrash},
		{"Uploads", testUploads},
		{"ResumableUploads", testResumableUploads},
		{"Blobs", testBlobs},
		{"Sessions", testSessions},
		{"ExpiredSessions", testExpiredSessions},
		{"OIDCConfig", testOIDCConfig},
		{"Tokens", testTokens},
		{"Collections", testCollections},
		{"Inboxes", testInboxes},
		{"InboxReceivedAtomic", testInboxReceivedAtomic},
		{"CollectionTrash", testCollectionTrash},
		{"GuestCollections", testGuestCollections},
		{"Within", testWithin},
		{"TenantIsolation", testTenantIsolation},
		{"NotFound", testNotFound},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Jobs", testJobs},
		{"JobHousekeeping", testJobHousekeeping},
		{"KeywordTags", testKeywordTags},
		{"JobLease", testJobLease},
		{"JobStages", testJobStages},
		{"JobRenew", testJobRenew},
		{"JobClaimConcurrent", testJobClaimConcurrent},
		{"SetExtracted", testSetExtracted},
		{"Renditions", testRenditions},
		{"Idempotency", testIdempotency},
		{"Failures", testFailures},
		{"Generation", testGeneration},
		{"FailuresConcurrent", testFailuresConcurrent},
		{"UploadLeases", testUploadLeases},
		{"UploadLeasesConcurrent", testUploadLeasesConcurrent},
		{"RateCounter", testRateCounter},
		{"IDsNeverReused", testIDsNeverReused},
		{"Events", testEvents},
		{"EventsNotInvented", testEventsNotInvented},
		{"EventsBulk", testEventsBulk},
		{"EventRetention", testEventRetention},
		{"EventsConcurrent", testEventsConcurrent},
		{"Webhooks", testWebhooks},
		{"DeliveriesQueued", testDeliveriesQueued},
		{"DeliveryClaims", testDeliveryClaims},
		{"DeliveryLease", testDeliveryLease},
		{"DeliveriesConcurrent", testDeliveriesConcurrent},
		{"DeliverySwitchedOff", testDeliverySwitchedOff},
		{"Stages", testStages},
		{"StageLog", testStageLog},
		{"StageDigest", testStageDigest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}

// cmpOpts let a store keep times to the microsecond (as PostgreSQL does)
// and answer nil or empty lists alike.
var cmpOpts = cmp.Options{
	cmpopts.EquateApproxTime(time.Microsecond),
	cmpopts.EquateEmpty(),
}

// diff reports a difference between what the store answered and what it
// should have.
func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpOpts); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// wantCode fails unless err carries the code; for EINVALID it checks the
// message too when msg is not empty.
func wantCode(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if got := damask.ErrorCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
		return
	}
	if msg != "" {
		if got := damask.ErrorMessage(err); got != msg {
			t.Errorf("%s: message %q, want %q", what, got, msg)
		}
	}
}

// must fails the test now on an error of a step that sets up the next ones.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// checkSet fails unless tm was set, in UTC, between before and after. A
// second of slack allows for a store whose clock is the database server's.
func checkSet(t *testing.T, what string, tm, before, after time.Time) {
	t.Helper()
	if tm.IsZero() {
		t.Errorf("%s not set", what)
		return
	}
	checkUTC(t, what, tm)
	if tm.Before(before.Add(-time.Second)) || tm.After(after.Add(time.Second)) {
		t.Errorf("%s = %v, want between %v and %v", what, tm, before, after)
	}
}

// checkUTC fails unless every non-zero time is in UTC.
func checkUTC(t *testing.T, what string, tms ...time.Time) {
	t.Helper()
	for _, tm := range tms {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Errorf("%s = %v: location %v, want UTC", what, tm, tm.Location())
		}
	}
}

// ref is the blob ref of a made-up file.
func ref(s string) damask.BlobRef { return sha256.Sum256([]byte(s)) }

// newAccount creates an account named name with its holder.
func newAccount(t *testing.T, s damask.Store, name string) (*damask.Account, *damask.User) {
	t.Helper()
	a := &damask.Account{
		Name:         name,
		CompanyName:  name + " Ltd",
		BillingEmail: "billing@" + name + ".example",
		Country:      "CH",
		Plan:         "pro",
		APIEnabled:   true,
		PublicLinks:  true,
		Branding: damask.Branding{
			Title:     name + " assets",
			FontColor: "#000000",
			TopColor:  "#ffffff",
		},
	}
	h := &damask.User{
		Login:        name + "-holder",
		Email:        "holder@" + name + ".example",
		FirstName:    "Hol",
		LastName:     "Der",
		Role:         damask.RoleHolder,
		PasswordHash: "$2a$10$hash",
	}
	must(t, "create account "+name, s.CreateAccount(t.Context(), a, h))
	return a, h
}

// newUser creates a member of the account.
func newUser(t *testing.T, s damask.Store, accountID int64, login string) *damask.User {
	t.Helper()
	u := &damask.User{
		AccountID: accountID,
		Login:     login,
		Email:     login + "@example.com",
		Role:      damask.RoleMember,
	}
	must(t, "create user "+login, s.CreateUser(t.Context(), u))
	return u
}

// assetSpec describes an asset for newAsset.
type assetSpec struct {
	title, description, filename string
	size                         int64
	tags                         []string
}

// newAsset creates an asset whose file is named after its title.
func newAsset(t *testing.T, s damask.Store, u *damask.User, spec assetSpec) *damask.Asset {
	t.Helper()
	if spec.filename == "" {
		spec.filename = spec.title + ".jpg"
	}
	if spec.size == 0 {
		spec.size = 1000
	}
	a := &damask.Asset{
		AccountID:   u.AccountID,
		Title:       spec.title,
		Description: spec.description,
		Filename:    spec.filename,
		ContentType: "image/jpeg",
		Size:        spec.size,
		Blob:        ref(fmt.Sprint(u.AccountID, spec.title, spec.filename)),
		UserID:      u.ID,
		Processing:  damask.ProcessingPending,
	}
	v := &damask.Version{
		Filename:    a.Filename,
		ContentType: a.ContentType,
		Size:        a.Size,
		Blob:        a.Blob,
		Comment:     "first",
		UserID:      u.ID,
	}
	must(t, "create asset "+spec.title, s.CreateAsset(t.Context(), a, v, spec.tags, 0))
	return a
}

// newVersion is a version of a made-up file.
func newVersion(u *damask.User, name string, size int64) *damask.Version {
	return &damask.Version{
		Filename:    name,
		ContentType: "image/png",
		Size:        size,
		Blob:        ref(name),
		Comment:     "about " + name,
		UserID:      u.ID,
	}
}

// newUpload creates an upload of a made-up file that expires at exp.
func newUpload(t *testing.T, s damask.Store, u *damask.User, name string, size int64, exp time.Time) *damask.Upload {
	t.Helper()
	up := &damask.Upload{
		AccountID:   u.AccountID,
		UserID:      u.ID,
		Filename:    name,
		ContentType: "application/octet-stream",
		Size:        size,
		Blob:        ref(name),
		ExpiresAt:   exp,
	}
	must(t, "create upload "+name, s.CreateUpload(t.Context(), up))
	return up
}

// tagNames are the names of the asset's tags, sorted: the contract leaves
// their order to the store.
func tagNames(a *damask.Asset) []string {
	names := make([]string, len(a.Tags))
	for i, tg := range a.Tags {
		names[i] = tg.Name
	}
	slices.Sort(names)
	return names
}

// ids are the ids of the assets, in the store's order.
func ids(as []*damask.Asset) []int64 {
	out := make([]int64, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}
