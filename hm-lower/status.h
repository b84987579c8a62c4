/* hm: hm-lower --status: each step's status in a run, from its events. */
#ifndef HM_LOWER_STATUS_H
#define HM_LOWER_STATUS_H

#include <stddef.h>

#include "diag.h"
#include "ir_dot.h"

/*
 * The last step_finished event of each key in a JSON Lines events file
 * (hm-exec --events) gives its status; a replica "S@L" also counts for
 * S, which shows the worst of its replicas. Other events are ignored.
 */
struct run_status {
	struct run_status_ent *v;
	size_t n, cap;
	char *text;		/* the file's, keys point into it */
};

/*
 * Read the events in text[0..size) (malloc'd, 2 spare bytes; taken) of
 * file. Returns 0, or -1 with diags for a line that is not JSON.
 */
int run_status_read(struct run_status *rs, const char *file, char *text,
    size_t size, struct diag_list *diags);
/* The lookup for ir_dot. */
struct ir_dot_status run_status_dot(struct run_status *rs);
void run_status_release(struct run_status *rs);

#endif
