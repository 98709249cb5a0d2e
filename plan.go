package damask

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// Plan is what an account pays for: the features it may use and its storage.
type Plan struct {
	Name           string `json:"name"`
	SSL            bool   `json:"ssl"`
	Stages         bool   `json:"stages"`
	MultipleUsers  bool   `json:"multiple_users"`
	Versions       bool   `json:"versions"`
	Branding       bool   `json:"branding"`
	FullTextSearch bool   `json:"full_text_search"`
	StorageLimit   int64  `json:"storage_limit"` // bytes; 0 means no limit
	Bandwidth      int64  `json:"bandwidth"`     // bytes a month; 0 means no limit
}

// Plans is the operator's table of plans, by name.
type Plans map[string]Plan

const gib = 1 << 30

// DefaultPlans are fluxiom's four plans. Versioning is a pro and deluxe
// feature, SSL is not offered on basic and private.
func DefaultPlans() Plans {
	return Plans{
		"basic":   {Name: "basic", StorageLimit: 1 * gib, Bandwidth: 10 * gib},
		"private": {Name: "private", MultipleUsers: true, Branding: true, StorageLimit: 5 * gib, Bandwidth: 50 * gib},
		"pro":     {Name: "pro", SSL: true, Stages: true, MultipleUsers: true, Versions: true, Branding: true, FullTextSearch: true, StorageLimit: 20 * gib, Bandwidth: 200 * gib},
		"deluxe":  {Name: "deluxe", SSL: true, Stages: true, MultipleUsers: true, Versions: true, Branding: true, FullTextSearch: true, StorageLimit: 100 * gib},
	}
}

// ReadPlans reads a JSON object of plans by name, as in
// {"basic": {"versions": false, "storage_limit": 1073741824, ...}, ...},
// laid over DefaultPlans: a plan named in the file replaces the default of
// that name whole, a new name adds a plan.
func ReadPlans(r io.Reader) (Plans, error) {
	var file map[string]Plan
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("read plans: %w", err)
	}
	plans := DefaultPlans()
	for name, p := range file {
		if name == "" || p.StorageLimit < 0 || p.Bandwidth < 0 {
			return nil, fmt.Errorf("read plans: plan %q: empty name or negative limit", name)
		}
		p.Name = name
		plans[name] = p
	}
	return plans, nil
}

// Names lists the plans in a stable order.
func (ps Plans) Names() []string {
	names := make([]string, 0, len(ps))
	for n := range ps {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := ps[names[i]], ps[names[j]]
		if a.StorageLimit != b.StorageLimit {
			return a.StorageLimit != 0 && (b.StorageLimit == 0 || a.StorageLimit < b.StorageLimit)
		}
		return names[i] < names[j]
	})
	return names
}
