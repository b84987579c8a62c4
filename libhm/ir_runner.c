/* hm: the runners hm knows by name, and the options (runner_args) each takes. */
#include <string.h>

#include "ir_runner.h"
#include "json.h"

/* srun's options, by the names a step's runner_args gives them. */
static const struct ir_runner_opt slurm_opts[] = {
	{ "partition", IR_ROPT_STRING, 0, 0, "--partition" },
	{ "account", IR_ROPT_STRING, 0, 0, "--account" },
	{ "qos", IR_ROPT_STRING, 0, 0, "--qos" },
	{ "constraint", IR_ROPT_STRING, 0, 0, "--constraint" },
	{ "reservation", IR_ROPT_STRING, 0, 0, "--reservation" },
	{ "gres", IR_ROPT_STRING, 0, 0, "--gres" },
	{ "cpus", IR_ROPT_INT, 1, 100000, "--cpus-per-task" },
	{ "memory", IR_ROPT_SIZE, 0, 0, "--mem" },
	/* minutes, as srun's --time=N; replaces the backstop hm-exec
	   derives from timeout_seconds */
	{ "time_limit", IR_ROPT_INT, 1, 5256000, "--time" },
};

const struct ir_runner_opt *
ir_runner_opts(const char *runner, size_t *n)
{
	if (runner && strcmp(runner, "slurm") == 0) {
		*n = sizeof(slurm_opts) / sizeof(slurm_opts[0]);
		return slurm_opts;
	}
	*n = 0;
	return NULL;
}

/* "partition, account, ..." for messages. */
static void
opt_names(const struct ir_runner_opt *o, size_t n, char *buf, size_t size)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n && len + 1 < size; i++) {
		size_t k = strlen(o[i].name) + (i ? 2 : 0);

		if (len + k + 1 > size)
			break;
		if (i)
			memcpy(buf + len, ", ", 2);
		memcpy(buf + len + (i ? 2 : 0), o[i].name, strlen(o[i].name) + 1);
		len += k;
	}
}

static bool
size_ok(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0)
		return false;
	if (i + 1 == len && strchr("KMGT", s[i]))
		return true;
	return i == len;
}

/* One option's value; -1 after an error. */
static int
check_value(struct json_doc *j, uint32_t v, const char *runner,
    const struct ir_runner_opt *o, struct diag_list *diags)
{
	enum json_type t = json_type(j, v);
	const char *s, *want;
	long long x;
	size_t len;

	switch (o->type) {
	case IR_ROPT_INT:
		if (t == JSON_NUMBER && json_int(j, v, o->min, o->max, &x) == 0)
			return 0;
		if (t == JSON_NUMBER) {
			s = json_num(j, v, &len);
			return diag_report(diags, E_IR_RUNNER_ARG_RANGE,
			    json_pos(j, v), o->name, runner, o->min, o->max,
			    (int)len, s);
		}
		want = "an integer";
		break;
	case IR_ROPT_SIZE:
		if (t == JSON_STRING) {
			s = json_str(j, v, &len);
			if (size_ok(s, len))
				return 0;
			return diag_report(diags, E_IR_RUNNER_ARG_SIZE,
			    json_pos(j, v), o->name, runner, s);
		}
		want = "a string such as \"512M\" or \"4G\"";
		break;
	default:
		if (t == JSON_STRING) {
			s = json_str(j, v, &len);
			if (len > 0 && strlen(s) == len)
				return 0;
			return diag_report(diags, E_IR_RUNNER_ARG_EMPTY,
			    json_pos(j, v), o->name, runner);
		}
		want = "a string";
		break;
	}
	return diag_report(diags, E_IR_RUNNER_ARG_TYPE, json_pos(j, v),
	    o->name, runner, want, json_type_name(t));
}

/* The runner_args of one step, for runner (which has options). */
static int
check_args(const struct ir_step *s, const char *runner, const struct ir_runner_opt *opts, size_t nopts,
    struct diag_list *diags)
{
	const struct ir_any *a = &ir_more(s)->runner_args;
	/* positions move a cursor in the document, nothing else */
	struct json_doc *j = (struct json_doc *)a->doc;
	char names[256];
	uint32_t k;
	size_t i, len;
	int rc = 0;

	if (!j)
		return 0;
	if (json_type(j, a->node) != JSON_OBJECT)
		return diag_report(diags, E_IR_RUNNER_ARGS_TYPE,
		    json_pos(j, a->node), runner,
		    json_type_name(json_type(j, a->node)));
	for (k = json_first(j, a->node); k; k = json_next_member(j, a->node, k)) {
		const char *name = json_str(j, k, &len);

		for (i = 0; i < nopts; i++)
			if (strlen(opts[i].name) == len &&
			    memcmp(opts[i].name, name, len) == 0)
				break;
		if (i == nopts) {
			opt_names(opts, nopts, names, sizeof(names));
			rc = diag_report(diags, E_IR_RUNNER_ARG_UNKNOWN,
			    json_pos(j, k), runner, name, names);
			continue;
		}
		if (check_value(j, k + 1, runner, &opts[i], diags) < 0)
			rc = -1;
	}
	return rc;
}

int
ir_runner_check_steps(struct ir_step **v, size_t n, const char *dflt,
    struct diag_list *diags)
{
	const struct ir_runner_opt *opts;
	const char *runner;
	size_t i, nopts;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (v[i]->type == IR_GROUP) {
			if (ir_runner_check_steps(v[i]->steps, v[i]->nsteps, dflt,
			    diags) < 0)
				rc = -1;
			continue;
		}
		if (v[i]->type != IR_COMMAND)
			continue;
		runner = ir_more(v[i])->runner;
		if (dflt && runner)
			continue;	/* checked without dflt */
		if (!runner)
			runner = dflt;
		opts = ir_runner_opts(runner, &nopts);
		if (opts && check_args(v[i], runner, opts, nopts,
		    diags) < 0)
			rc = -1;
	}
	return rc;
}

int
ir_runner_check(struct ir_doc *doc, const char *dflt, struct diag_list *diags)
{
	return ir_runner_check_steps(doc->steps, doc->nsteps, dflt, diags);
}
