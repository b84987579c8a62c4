/* hm: a harness without libFuzzer: each file named is one input. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

/*
 * Built by the ordinary compiler (and under ASan/UBSan with SANITIZE=1),
 * so that `make check` replays the seed corpus and every input the
 * fuzzers ever found (testdata/fuzz/) without clang's libFuzzer.
 */
int
main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		char *buf = NULL;
		size_t n = 0, cap = 0, r;

		if (!f) {
			perror(argv[i]);
			return 2;
		}
		do {
			if (n == cap) {
				char *nb = realloc(buf, cap = cap ? 2 * cap :
				    4096);

				if (!nb)
					abort();
				buf = nb;
			}
			r = fread(buf + n, 1, cap - n, f);
			n += r;
		} while (r > 0);
		fclose(f);
		LLVMFuzzerTestOneInput((const unsigned char *)buf, n);
		free(buf);
	}
	return 0;
}
