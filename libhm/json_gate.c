/* hm: jsmn's pass over a JSON text, at once or on a thread beside the reader. */
#define JSMN_STATIC
#ifndef JSMN_STRICT
#define JSMN_STRICT
#endif

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#include <jsmn.h>

#include "json_gate.h"

/*
 * jsmn's counting pass (tokens == NULL) keeps no state but its position,
 * so it can be fed the text a chunk at a time: a string or number cut by
 * a chunk's end is JSMN_ERROR_PART with the position back at its start,
 * and the next, longer call reads it whole. After each chunk the thread
 * publishes its position; every byte before it has been read for the
 * last time, so the reader may rewrite it. Below GATE_THREAD_MIN bytes a
 * thread costs more than it saves.
 */
#define GATE_THREAD_MIN	((size_t)1 << 20)
#define GATE_CHUNK	((size_t)256 << 10)

struct json_gate {
	const char *text;
	size_t len;
	jsmn_parser jp;
	int result;
	pthread_t thread;
	int threaded;
	pthread_mutex_t lock;
	pthread_cond_t moved;
	size_t passed;		/* under lock: bytes jsmn is done with;
				   SIZE_MAX once it has stopped */
	int cancel;		/* under lock */
};

static int
gate_chunk(struct json_gate *g, size_t end)
{
	return jsmn_parse(&g->jp, g->text, end, NULL, 0);
}

static void *
gate_run(void *arg)
{
	struct json_gate *g = arg;
	size_t end = 0, step = GATE_CHUNK;
	int r, stop = 0;

	while (!stop) {
		end = g->len - end > step ? end + step : g->len;
		r = gate_chunk(g, end);
		if (r == JSMN_ERROR_PART && end < g->len) {
			/* a long string: the next call rereads it, longer */
			step *= 2;
		} else {
			step = GATE_CHUNK;
			if (r < 0 || end == g->len) {
				g->result = r;
				stop = 1;
			}
		}
		pthread_mutex_lock(&g->lock);
		g->passed = stop ? SIZE_MAX : g->jp.pos;
		if (g->cancel)
			stop = 1;
		pthread_cond_signal(&g->moved);
		pthread_mutex_unlock(&g->lock);
	}
	return NULL;
}

int
json_gate_start(struct json_gate **gp, const char *text, size_t len)
{
	struct json_gate *g = calloc(1, sizeof(*g));
	sigset_t all, old;

	if (!(*gp = g))
		return -1;
	g->text = text;
	g->len = len;
	jsmn_init(&g->jp);
	if (len >= GATE_THREAD_MIN &&
	    pthread_mutex_init(&g->lock, NULL) == 0) {
		if (pthread_cond_init(&g->moved, NULL) == 0) {
			/* signals stay with the caller's threads */
			sigfillset(&all);
			pthread_sigmask(SIG_SETMASK, &all, &old);
			g->threaded = pthread_create(&g->thread, NULL,
			    gate_run, g) == 0;
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			if (g->threaded)
				return JSON_GATE_RUNNING;
			pthread_cond_destroy(&g->moved);
		}
		pthread_mutex_destroy(&g->lock);
	}
	/* at once: a small text, or no thread could be had */
	g->result = gate_chunk(g, len);
	return g->result;
}

size_t
json_gate_wait(struct json_gate *g, size_t off)
{
	size_t passed;

	if (!g->threaded)
		return SIZE_MAX;
	pthread_mutex_lock(&g->lock);
	while (g->passed <= off)
		pthread_cond_wait(&g->moved, &g->lock);
	passed = g->passed;
	pthread_mutex_unlock(&g->lock);
	return passed;
}

int
json_gate_finish(struct json_gate *g, int cancel, size_t *pos)
{
	int r;

	if (g->threaded) {
		pthread_mutex_lock(&g->lock);
		g->cancel = cancel;
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->thread, NULL);
		pthread_cond_destroy(&g->moved);
		pthread_mutex_destroy(&g->lock);
	}
	r = g->result;
	*pos = g->jp.pos;
	free(g);
	return r;
}
