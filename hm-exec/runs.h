/* hm: the runs kept under .hm/: the .gitignore, and pruning old runs. */
#ifndef HM_EXEC_RUNS_H
#define HM_EXEC_RUNS_H

/* Write hm_dir/.gitignore ("*": git status stays clean) if it is missing. */
void runs_gitignore(const char *hm_dir);
/*
 * Remove the oldest runs in the directory logs (.hm/logs) until keep are
 * left, the current one among them. Best effort: what cannot be removed
 * stays.
 */
void runs_prune(const char *logs, long keep);

#endif
