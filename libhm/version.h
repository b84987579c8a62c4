/* hm: the version of the hm tools, as the VERSION file at the top says. */
#ifndef HM_VERSION_H
#define HM_VERSION_H

/* "0.1.0": the same for every tool, for --version, events and reports. */
const char *hm_version(void);

#endif
