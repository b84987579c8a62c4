/* hm: unit tests for the failure excerpt, on real tools' failure output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "excerpt.h"

/*
 * The compiler, make, cmocka and Python cases run the real programs in a
 * fresh directory and take what they print, as a failed step's log
 * would hold it. Each checks first that the line that explains the
 * failure is NOT among the last lines (what a plain tail shows), then
 * that the excerpt has it.
 */
static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/hm-excerpt.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* What `cd dir && cmd 2>&1` prints; its exit status in *status. */
static char *
run(const char *cmd, int *status)
{
	char full[1024], *s = NULL;
	size_t n = 0, cap = 0, k;
	FILE *p;

	snprintf(full, sizeof(full), "cd '%s' && (%s) 2>&1", dir, cmd);
	p = popen(full, "r");
	assert_non_null(p);
	do {
		if (n + 4096 + 1 > cap) {
			cap = 2 * cap + 4096 + 1;
			s = realloc(s, cap);
			assert_non_null(s);
		}
		k = fread(s + n, 1, 4096, p);
		n += k;
	} while (k > 0);
	s[n] = '\0';
	*status = pclose(p);
	return s;
}

/* The last n lines of text. */
static const char *
last_lines(const char *text, int n)
{
	const char *p = text + strlen(text);

	if (p > text && p[-1] == '\n')
		p--;
	while (p > text) {
		if (p[-1] == '\n' && --n == 0)
			break;
		p--;
	}
	return p;
}

static char *
excerpt_default(const char *text)
{
	struct excerpt_opts o = EXCERPT_OPTS_INIT;
	char *s = excerpt_of(text, strlen(text), &o);

	assert_non_null(s);
	return s;
}

/* The line of text holding needle, as a new string. */
static char *
line_with(const char *text, const char *needle)
{
	const char *p = strstr(text, needle), *a, *b;
	char *s;

	assert_non_null(p);
	for (a = p; a > text && a[-1] != '\n'; a--)
		;
	b = strchr(p, '\n');
	if (!b)
		b = p + strlen(p);
	s = malloc((size_t)(b - a) + 1);
	memcpy(s, a, (size_t)(b - a));
	s[b - a] = '\0';
	return s;
}

static const char broken_c[] =
    "int\n"
    "main(void)\n"
    "{\n"
    "\tint x = 1\n"
    "\treturn x;\n"
    "}\n";

/* A compiler's error in the middle of a make -k run that goes on. */
static void
make_output(const char *cc)
{
	char mk[1024], *out, *err, *ex, *quoted;
	int status, i;
	size_t len = 0;

	put("broken.c", broken_c);
	len += (size_t)snprintf(mk, sizeof(mk), "all: broken.o");
	for (i = 0; i < 30; i++)
		len += (size_t)snprintf(mk + len, sizeof(mk) - len, " ok%d", i);
	snprintf(mk + len, sizeof(mk) - len, "\n"
	    "broken.o: broken.c\n\t%s -c broken.c\n"
	    "ok%%:\n\t@echo 'generating $@ from its template'\n", cc);
	put("Makefile", mk);
	out = run("make -k --no-print-directory", &status);
	assert_int_not_equal(status, 0);
	err = line_with(out, "error:");
	/* a tail alone misses the compiler's error */
	assert_null(strstr(last_lines(out, 10), err));
	ex = excerpt_default(out);
	assert_non_null(strstr(ex, err));
	/* with the source line the compiler quotes after it */
	quoted = line_with(strstr(out, err) + strlen(err) + 1, "");
	assert_non_null(strstr(strstr(ex, err), quoted));
	/* make's own verdict, and the tail */
	assert_non_null(strstr(ex, "Error 1"));
	assert_non_null(strstr(ex, "not remade because of errors"));
	assert_non_null(strstr(ex, EXCERPT_GAP));
	free(quoted);
	free(err);
	free(ex);
	free(out);
}

static void
test_gcc_make(void **state)
{
	(void)state;
	make_output("gcc");
}

static void
test_clang_make(void **state)
{
	(void)state;
	make_output("clang");
}

/* A cmocka test program whose first test fails and many pass after it. */
static void
test_cmocka(void **state)
{
	char src[8192], *out, *ex;
	size_t len = 0;
	int status, i;

	(void)state;
	len += (size_t)snprintf(src, sizeof(src),
	    "#include <stdarg.h>\n#include <stddef.h>\n#include <setjmp.h>\n"
	    "#include <stdint.h>\n#include <cmocka.h>\n"
	    "static void fails(void **s) { (void)s; assert_int_equal(1 + 1, 3); }\n"
	    "static void passes(void **s) { (void)s; assert_true(1); }\n"
	    "int main(void) { const struct CMUnitTest t[] = {\n"
	    "cmocka_unit_test(fails),\n");
	for (i = 0; i < 20; i++)
		len += (size_t)snprintf(src + len, sizeof(src) - len,
		    "cmocka_unit_test(passes),\n");
	snprintf(src + len, sizeof(src) - len, "};\n"
	    "return cmocka_run_group_tests(t, NULL, NULL); }\n");
	put("t.c", src);
	out = run("cc -o t t.c $(pkg-config --libs cmocka) && ./t", &status);
	assert_int_not_equal(status, 0);
	assert_null(strstr(last_lines(out, 10), "0x2 != 0x3"));
	ex = excerpt_default(out);
	assert_non_null(strstr(ex, "0x2 != 0x3"));
	assert_non_null(strstr(ex, "t.c:6: error: Failure!"));
	assert_non_null(strstr(ex, "[  FAILED  ] 1 test(s)"));
	free(ex);
	free(out);
}

/* Python's unittest: the traceback, then the totals. */
static void
test_python(void **state)
{
	char src[4096], *out, *ex;
	size_t len = 0;
	int status, i;
	struct excerpt_opts o = EXCERPT_OPTS_INIT;

	(void)state;
	len += (size_t)snprintf(src, sizeof(src),
	    "import unittest\n"
	    "def parse(s):\n    return int(s)\n"
	    "class T(unittest.TestCase):\n"
	    "    def test_a_parse(self):\n"
	    "        self.assertEqual(parse('12x'), 12)\n");
	for (i = 0; i < 30; i++)
		len += (size_t)snprintf(src + len, sizeof(src) - len,
		    "    def test_ok%02d(self):\n        pass\n", i);
	put("test_p.py", src);
	out = run("python3 -m unittest -v test_p", &status);
	assert_int_not_equal(status, 0);
	/* a short tail ends in the totals */
	o.tail = 3;
	assert_null(strstr(last_lines(out, 3), "ValueError"));
	ex = excerpt_of(out, strlen(out), &o);
	assert_non_null(ex);
	assert_non_null(strstr(ex, "Traceback (most recent call last)"));
	assert_non_null(strstr(ex, "ValueError: invalid literal for int()"));
	assert_non_null(strstr(ex, "FAILED (errors=1)"));
	/* the test's name before the traceback */
	assert_non_null(strstr(ex, "ERROR: test_a_parse"));
	free(ex);
	free(out);
}

/* A glibc assert() in a program that printed a lot before. */
static void
test_assert(void **state)
{
	char *out, *ex;
	int status;
	struct excerpt_opts o = EXCERPT_OPTS_INIT;

	(void)state;
	put("a.c", "#include <assert.h>\n#include <stdio.h>\n"
	    "int main(void) { int i; for (i = 0; i < 50; i++)\n"
	    "printf(\"step %d\\n\", i); fflush(stdout); assert(i == 7); }\n");
	out = run("cc -o a a.c && ./a; echo done; echo cleaning up; "
	    "echo removed a; echo removed b", &status);
	o.tail = 2;
	ex = excerpt_of(out, strlen(out), &o);
	assert_non_null(strstr(ex, "Assertion `i == 7' failed."));
	assert_non_null(strstr(ex, "step 49"));	/* context before */
	free(ex);
	free(out);
}

static char *
lines_text(const char *text, size_t feed)
{
	struct excerpt_opts o = EXCERPT_OPTS_INIT;
	struct excerpt *e = excerpt_new(&o);
	size_t n = strlen(text), i;
	char *s;

	assert_non_null(e);
	for (i = 0; i < n; i += feed)
		assert_int_equal(excerpt_feed(e, text + i, n - i < feed ?
		    n - i : feed), 0);
	s = excerpt_text(e);
	excerpt_free(e);
	assert_non_null(s);
	return s;
}

/* Pieces of any size give the same excerpt; \r redraws; CRLF. */
static void
test_pieces(void **state)
{
	const char *text = "a\nb\r\nprogress 10%\rprogress 100%\n"
	    "x.c:1:1: error: boom\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12";
	char *whole = lines_text(text, strlen(text)), *one = lines_text(text, 1);

	(void)state;
	assert_string_equal(whole, one);
	assert_string_equal(whole, "[...]\nb\nprogress 100%\n"
	    "x.c:1:1: error: boom\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12");
	free(whole);
	free(one);
}

/* Repeated messages once, at their last place; bounded; gaps. */
static void
test_bounds(void **state)
{
	struct excerpt_opts o = { 2, 1, 1, 3 };
	struct excerpt *e = excerpt_new(&o);
	const struct excerpt_line *v;
	char line[2048];
	size_t n, i, hits = 0;
	int k;

	(void)state;
	assert_non_null(e);
	for (k = 0; k < 100000; k++) {
		snprintf(line, sizeof(line), k % 1000 == 0 ?
		    "x.c:%d: error: number %d\n" : "noise %d %d\n", k, k / 1000);
		assert_int_equal(excerpt_feed(e, line, strlen(line)), 0);
	}
	for (k = 0; k < 5; k++)
		excerpt_feed(e, "FAILED same\nok\n", 15);
	memset(line, 'y', sizeof(line) - 2);
	line[sizeof(line) - 2] = '\n';
	excerpt_feed(e, line, sizeof(line) - 1);
	v = excerpt_lines(e, &n);
	assert_non_null(v);
	for (i = 0; i < n; i++) {
		hits += v[i].hit;
		assert_true(strlen(v[i].text) <= EXCERPT_LINE_MAX);
		if (v[i].lineno == 0)
			assert_string_equal(v[i].text, EXCERPT_GAP);
		if (i > 0 && v[i].lineno && v[i - 1].lineno)
			assert_int_equal(v[i].lineno, v[i - 1].lineno + 1);
	}
	assert_int_equal(hits, 3);
	assert_string_equal(v[0].text, EXCERPT_GAP);
	/* the last two numbered errors, and "FAILED same" once */
	assert_string_equal(v[2].text, "x.c:98000: error: number 98");
	assert_string_equal(v[6].text, "x.c:99000: error: number 99");
	assert_int_equal(v[4].lineno, 0);
	assert_int_equal(v[n - 1].lineno, 100011);
	for (i = 0, k = 0; i < n; i++)
		k += strcmp(v[i].text, "FAILED same") == 0;
	assert_int_equal(k, 1);
	assert_int_equal(n, 13);
	excerpt_free(e);
}

static void
test_patterns(void **state)
{
	static const char *const yes[] = {
		"x.c:1:2: error: expected ';'", "fatal error: x.h: No such file",
		"make: *** [Makefile:3: all] Error 2", "FAILED tests/a.py::t",
		"--- FAIL: TestX (0.00s)", "panic: runtime error",
		"thread 'main' panicked at src/main.rs:2:5",
		"a: a.c:4: main: Assertion `x' failed.",
		"Traceback (most recent call last):", "AssertionError: 1 != 2",
		"ERROR: test_x (t.T)",
		/* at the very end of the line */
		"Error 2", "FAIL:", "FAILED", "x error:", "panic:",
	};
	static const char *const no[] = {
		"make: Leaving directory '/src'", "errors: 0", "Error handling",
		"compiling error.c", "PASSED", "",
		/* cut by the line's end, or in another case */
		"make: *** [all] Error ", "FAIL", "FAILE", "error", "panicked",
		"Traceback (most recent call", "Panic: x", "assertio",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(excerpt_is_error(yes[i], strlen(yes[i])));
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(excerpt_is_error(no[i], strlen(no[i])));
}

static void
test_empty(void **state)
{
	struct excerpt_opts o = EXCERPT_OPTS_INIT;
	char *s = excerpt_of("", 0, &o);

	(void)state;
	assert_string_equal(s, "");
	free(s);
	s = excerpt_of("no newline", 10, &o);
	assert_string_equal(s, "no newline");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_gcc_make),
		cmocka_unit_test(test_clang_make),
		cmocka_unit_test(test_cmocka),
		cmocka_unit_test(test_python),
		cmocka_unit_test(test_assert),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
