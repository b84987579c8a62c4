/* hm: the version, set once in the tree (VERSION) and given by make. */
#include "version.h"

#ifndef HM_VERSION
#error "HM_VERSION is defined by the Makefile from the VERSION file"
#endif

const char *
hm_version(void)
{
	return HM_VERSION;
}
