/* hm: bench: the floor for hm-bake: parse a YAML file with libyaml, nothing else. */
#include <stdio.h>
#include <stdlib.h>

#include <yaml.h>

/* yamlparse FILE: read every libyaml event of FILE; print how many. */
int
main(int argc, char **argv)
{
	yaml_parser_t p;
	yaml_event_t ev;
	unsigned long events = 0;
	FILE *f;
	int done = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: yamlparse FILE\n");
		return 64;
	}
	if (!(f = fopen(argv[1], "rb"))) {
		perror(argv[1]);
		return 66;
	}
	if (!yaml_parser_initialize(&p))
		return 70;
	yaml_parser_set_input_file(&p, f);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			fprintf(stderr, "yamlparse: %s\n", p.problem ?
			    p.problem : "error");
			yaml_parser_delete(&p);
			fclose(f);
			return 65;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		events++;
	}
	yaml_parser_delete(&p);
	fclose(f);
	printf("%lu events\n", events);
	return 0;
}
