package library

import (
	"sync"
	"time"

	"damask"
)

// maxZoneName caps a time zone's name: the longest IANA name has 32
// characters.
const maxZoneName = 64

// zones keeps the zones loaded, by name: time.LoadLocation reads a file
// each time. Only valid names are kept, so the map holds at most the
// IANA database's few hundred.
var zones sync.Map

// LoadTimeZone answers the zone of an IANA name ("Europe/Vienna", "UTC"),
// refusing with EINVALID a name that time.LoadLocation does not know, a
// path or "Local" (the server's zone is no user's).
func LoadTimeZone(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	bad := damask.Errorf(damask.EINVALID, "Time zone must be a zone name of the IANA database, such as Europe/Vienna or America/New_York")
	if name == "" || name == "Local" || len(name) > maxZoneName {
		return nil, bad
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '/' || r == '_' || r == '-' || r == '+') {
			return nil, bad
		}
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, bad
	}
	zones.Store(name, l)
	return l, nil
}
