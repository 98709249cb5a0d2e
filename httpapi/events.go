package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"damask"
	"damask/library"
)

// The event feed: GET /api/events?after=ID&wait=N.

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	after, wait, err := eventsQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	evs, err := s.svc.Events(r.Context(), caller(r), after, wait)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]node, len(evs))
	for i, e := range evs {
		items[i] = eventDoc(e)
	}
	// Unlike a search, an empty page is 200: "nothing new yet" is the
	// feed's usual answer, and a long poll that timed out is no error.
	s.reply(w, r, http.StatusOK, array("events", items))
}

// eventsQuery reads after (an event id, 0 when absent) and wait (whole
// seconds, 0 to MaxEventsWait; more is cut to it).
func eventsQuery(r *http.Request) (after int64, wait time.Duration, err error) {
	q := r.URL.Query()
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return 0, 0, errBadParam("after", "must be an event id (a whole number, 0 or more)")
		}
	}
	if v := q.Get("wait"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, errBadParam("wait", "must be a whole number of seconds, 0 or more")
		}
		// Cut before multiplying: a huge number of seconds would overflow.
		wait = time.Duration(min(n, int(library.MaxEventsWait/time.Second))) * time.Second
	}
	return after, wait, nil
}

// eventDoc is one event: the object's kind and id, and the fields an
// update changed.
func eventDoc(e damask.Event) node {
	changed := make([]node, len(e.Changed))
	for i, f := range e.Changed {
		changed[i] = str("field", f)
	}
	actor := optInteger("actor_id", int64(e.ActorID))
	return record("event",
		integer("id", e.ID),
		str("type", e.Type),
		datetime("created_on", e.CreatedAt),
		actor,
		str("object", e.Object()),
		integer("object_id", e.ObjectID),
		array("changed", changed),
	)
}
