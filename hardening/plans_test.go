package hardening

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"damask/servertest"
)

// TestR44_PlanBelongsToOperator: the holder of an account on the basic
// plan tries to raise it through the account's update: another plan's
// name (in a form, nested, in the query, multipart, JSON, XML, in another
// case, one that does not exist), the plan's features as the document's
// attributes, its limits as the plans file names them, the stats' free
// space, and a whole document sent back with a better plan; as the holder
// with the password, with a token, and as an admin. Each is 403, and the
// plan, its storage and the rest of the account stay as they were (a
// change sent beside the plan is not made either). A document sent back
// as it was read still updates, and `damask account plan` still moves the
// account.
func TestR44_PlanBelongsToOperator(t *testing.T) {
	l := start(t, "--rate", "0")
	bin := servertest.Build(t)
	second, _ := addUser(t, l.admin, "second-admin", "admin")
	secret, _ := newToken(t, l.admin, "name", "read-write")
	if out, err := servertest.Command(t, bin, nil, "account", "plan", "default", "basic", "--data", l.data); err != nil {
		t.Fatalf("account plan default basic: %v\n%s", err, out)
	}
	account := func() map[string]any {
		return doc(t, l.admin.Must(http.StatusOK, "GET", "/api/account.json", "", nil))
	}
	before := account()
	if p, _ := before["plan"].(map[string]any); p["name"] != "basic" || p["versions"] != false {
		t.Fatalf("the account is not on the basic plan: %v", before["plan"])
	}
	beforeXML := string(l.admin.Must(http.StatusOK, "GET", "/api/account.xml", "", nil))

	// Whole documents sent back with a better plan, or more free space.
	raised := func(change func(map[string]any)) string {
		d := account()
		change(d)
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	deluxeDoc := raised(func(d map[string]any) {
		d["plan"] = map[string]any{"name": "deluxe", "ssl": true, "stages": true, "multiple_users": true,
			"versions": true, "branding": true, "full_text_search": true}
	})
	spaceDoc := raised(func(d map[string]any) {
		d["stats"].(map[string]any)["available_space"] = 1 << 50
	})
	deluxeXML := strings.Replace(beforeXML, ">basic</plan>", ">deluxe</plan>", 1)
	if deluxeXML == beforeXML {
		t.Fatalf("no plan in the XML document: %s", beforeXML)
	}

	form := "application/x-www-form-urlencoded"
	mp, mpType := servertest.Multipart("", nil, "plan", "deluxe")
	type call struct{ name, path, ct, body string }
	calls := []call{
		{"form", "/api/account.json", form, "plan=deluxe"},
		{"form, xml", "/api/account.xml", form, "plan=pro"},
		{"nested form", "/api/account.json", form, "account[plan]=deluxe"},
		{"query", "/api/account.json?plan=deluxe", "", ""},
		{"multipart", "/api/account.json", mpType, string(mp)},
		{"in another case", "/api/account.json", form, "plan=Deluxe"},
		{"padded", "/api/account.json", form, "plan=+deluxe+"},
		{"no such plan", "/api/account.json", form, "plan=unlimited"},
		{"empty", "/api/account.json", form, "plan="},
		{"beside another change", "/api/account.json", form, "company_name=Raised&plan=deluxe"},
		{"storage limit", "/api/account.json", form, "storage_limit=0"},
		{"bandwidth", "/api/account.json", form, "bandwidth=0"},
		{"a feature as a field", "/api/account.json", form, "plan.versions=true"},
		{"json", "/api/account.json", "application/json", `{"plan":"deluxe"}`},
		{"json, nested", "/api/account.json", "application/json", `{"account":{"plan":"pro"}}`},
		{"json, plan object", "/api/account.json", "application/json", `{"plan":{"name":"deluxe"}}`},
		{"json, features", "/api/account.json", "application/json", `{"plan":{"name":"basic","versions":true,"multiple_users":true}}`},
		{"json, plan's storage", "/api/account.json", "application/json", `{"plan":{"name":"basic","storage_limit":0}}`},
		{"json, storage limit", "/api/account.json", "application/json", `{"storage_limit":1125899906842624}`},
		{"json, free space", "/api/account.json", "application/json", `{"stats":{"used_space":0,"available_space":1125899906842624}}`},
		{"json, document with a better plan", "/api/account.json", "application/json", deluxeDoc},
		{"json, document with more space", "/api/account.json", "application/json", spaceDoc},
		{"xml", "/api/account.xml", "application/xml", `<account><plan>deluxe</plan></account>`},
		{"xml, features", "/api/account.xml", "application/xml", `<account><plan versions="true" ssl="true" multiple_users="true">basic</plan></account>`},
		{"xml, plan's storage", "/api/account.xml", "application/xml", `<account><plan storage_limit="0">basic</plan></account>`},
		{"xml, storage limit", "/api/account.xml", "application/xml", `<account><storage_limit type="integer">0</storage_limit></account>`},
		{"xml, free space", "/api/account.xml", "application/xml", `<account><stats used_space="0" available_space="1125899906842624"/></account>`},
		{"xml, document with a better plan", "/api/account.xml", "application/xml", deluxeXML},
	}
	for _, who := range []struct {
		name string
		c    servertest.Client
	}{
		{"holder", l.admin},
		{"holder's token", servertest.Client{T: t, HTTP: l.admin.HTTP, S: l.Server, Token: secret}},
		{"holder's token as the Basic password", servertest.Client{T: t, HTTP: l.admin.HTTP, S: l.Server, Login: "admin", PW: secret}},
		{"admin", second},
	} {
		for _, k := range calls {
			t.Run(who.name+"/"+k.name, func(t *testing.T) {
				var body io.Reader
				if k.body != "" {
					body = strings.NewReader(k.body)
				}
				if st, _, b := who.c.Request("PUT", k.path, k.ct, body); st != http.StatusForbidden {
					t.Errorf("status %d, want 403: %s", st, b)
				} else if who.name != "admin" && !strings.Contains(string(b), "operator") {
					t.Errorf("the refusal does not say whose the plan is: %s", b)
				}
			})
		}
	}
	after := account()
	for _, f := range []string{"plan", "stats", "company_name", "updated_on"} {
		if a, b := jsonOf(t, after[f]), jsonOf(t, before[f]); a != b {
			t.Errorf("%s changed: %s, was %s", f, a, b)
		}
	}
	if _, b := l.admin.Do("GET", "/api/audit.json?per_page=100", "", nil); strings.Count(string(b), "plan_changed") != 1 {
		t.Errorf("the audit log holds other plan changes than the operator's: %s", b)
	}

	// A document sent back as it was read is still an update; the plan
	// stays the operator's.
	l.admin.Must(http.StatusOK, "PUT", "/api/account.xml", "application/xml", []byte(beforeXML))
	d := account()
	d["company_name"] = "Renamed by its holder"
	b, _ := json.Marshal(d)
	if got := doc(t, l.admin.Must(http.StatusOK, "PUT", "/api/account.json", "application/json", b)); got["company_name"] != "Renamed by its holder" ||
		got["plan"].(map[string]any)["name"] != "basic" {
		t.Errorf("the document sent back: %v", got)
	}
	// The operator moves the account.
	if out, err := servertest.Command(t, bin, nil, "account", "plan", "default", "pro", "--data", l.data); err != nil {
		t.Fatalf("account plan default pro: %v\n%s", err, out)
	}
	if p := account()["plan"].(map[string]any); p["name"] != "pro" || p["versions"] != true {
		t.Errorf("after damask account plan default pro: %v", p)
	}
	l.CheckLog()
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
