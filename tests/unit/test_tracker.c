/*
 * Unit: the tracking rule (gw_tracker_decide) - what each notification
 * does to a recipient, with and without final delivery asked (SPEC.md
 * 2.1, 2.3, 2.6).
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

#include "tracker.h"

struct row {
	const char *state;
	bool is_final, fdd;
	enum gw_track_ev ev;
	bool ext;
	bool change;
	const char *to;
	bool final;
};

GW_TEST(tracker_rule_table)
{
	static const struct row rows[] = {
	    /* basic regime: processed completes it */
	    {"sent", false, false, GW_TRACK_PROCESSED, false, true, "processed",
	     true},
	    {"queued", false, false, GW_TRACK_PROCESSED, false, true,
	     "processed", true},
	    /* final delivery asked: processed is a step, dispatched ends */
	    {"sent", false, true, GW_TRACK_PROCESSED, false, true, "processed",
	     false},
	    {"processed", false, true, GW_TRACK_DISPATCHED, true, true,
	     "dispatched", true},
	    /* dispatched without the extension is not final delivery */
	    {"processed", false, true, GW_TRACK_DISPATCHED, false, false, NULL,
	     false},
	    {"sent", false, true, GW_TRACK_DISPATCHED, false, true, "processed",
	     false},
	    /* without the IG, a dispatched first is success too */
	    {"sent", false, false, GW_TRACK_DISPATCHED, false, true,
	     "dispatched", true},
	    /* a second processed changes nothing */
	    {"processed", false, true, GW_TRACK_PROCESSED, false, false, NULL,
	     false},
	    /* failures end it from any open state */
	    {"sent", false, true, GW_TRACK_FAILED, false, true, "failed", true},
	    {"processed", false, true, GW_TRACK_FAILED, false, true, "failed",
	     true},
	    /* timers */
	    {"sent", false, false, GW_TRACK_TIMEOUT, false, true, "timed-out",
	     true},
	    {"processed", false, true, GW_TRACK_TIMEOUT, false, true,
	     "timed-out", true},
	    /* final is final: late and duplicate notices change nothing */
	    {"failed", true, true, GW_TRACK_DISPATCHED, true, false, NULL,
	     false},
	    {"dispatched", true, true, GW_TRACK_PROCESSED, false, false, NULL,
	     false},
	    {"processed", true, false, GW_TRACK_FAILED, false, false, NULL,
	     false},
	    {"dispatched", true, true, GW_TRACK_TIMEOUT, false, false, NULL,
	     false},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct gw_track_step s;

		gw_tracker_decide(r->state, r->is_final, r->fdd, r->ev, r->ext,
				  &s);
		if (s.change != r->change ||
		    (r->change && strcmp(s.state, r->to) != 0) ||
		    s.final != r->final) {
			fprintf(stderr,
				"    row %zu: change=%d state=%s final=%d\n", i,
				s.change, s.change ? s.state : "-", s.final);
			CHECK(0);
		}
		CHECK(s.event[0] != '\0');
	}
}
