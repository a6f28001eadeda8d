/* The live mixer's audio-thread half, in C: PortAudio calls m2m_pa_callback on its
 * audio thread, which mixes without ever taking Python's interpreter lock.
 *
 * It is the same function of (cues, reading events) -> samples as mixer.py's Mixer
 * (tests compare the two sample by sample); only where it runs differs. Python prepares
 * each cue (resampling, loop tiling) in its own threads and hands the audio thread
 * small commands through a single-producer single-consumer ring (producers serialise
 * among themselves with a Python lock the audio thread never sees). The audio thread
 * hands back, through rings of its own, the cues it has let go of (Python frees them),
 * the crossfades and loop seams it made (with their times), and its own timings.
 *
 * The audio thread allocates nothing, takes no lock and makes no system call except
 * reading the clock (and, on its first callback, asking for a real-time priority).
 *
 * Built with only a C compiler and libm: `cc -O2 -shared -fPIC native_mixer.c -lm`;
 * loaded with cffi's ABI mode, which reads native_mixer.h as its declarations.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* clock_gettime, pthread_setschedparam under -std=c11 */
#endif
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if !defined(_WIN32)
#include <pthread.h>
#include <sched.h>
#endif

#define M2M_ABI 2

#include "native_mixer.h" /* what Python sees: shared structs and the functions */

enum { CMD_CUE = 1, CMD_FORGET, CMD_TURN, CMD_VOLUME, CMD_MUTE, CMD_FADE_OUT, CMD_FADES, CMD_SWAP };
enum { KIND_TURN = 0, KIND_JUMP = 1 };
enum { EV_START = 1, EV_CHANGE, EV_TURN, EV_SWAP, EV_LOOP, EV_CONTINUE };
enum { FADE_NONE = 0, FADE_IN, FADE_OUT };

#define MAX_VOICES 16
#define MAX_CUES 1024
#define MAX_PENDING 2048 /* more than the command ring holds, plus swaps */
#define CMD_RING 1024    /* power of two */
#define RELEASE_RING 4096
#define EVENT_RING 4096


typedef struct {
    int64_t at, seq;
    m2m_cmd cmd;
} pending_t;

typedef struct {
    m2m_cue *cue;
    int64_t pos, env_pos, env_len;
    double from_gain;
    int active, fading;
} voice_t;

struct m2m_mixer {
    int channels, sample_rate, max_block, n_voices, record_events, rt_priority;
    /* fade lengths in samples */
    int64_t scene_len, page_len, swap_len, start_len, ramp_len;
    /* stingers: a cue with continues == 2 has one in its intro (mixer.py, has_stinger) */
    int64_t stinger_cooldown, last_stinger;
    /* rings: commands (Python -> audio), released cue ids and events (audio -> Python) */
    m2m_cmd cmds[CMD_RING];
    int64_t cmd_head, cmd_tail; /* head: next to read (audio), tail: next to write */
    int32_t released[RELEASE_RING];
    int64_t rel_head, rel_tail;
    m2m_event events[EVENT_RING];
    int64_t ev_head, ev_tail;
    int64_t events_lost, cues_dropped;
    /* audio-thread state */
    pending_t pending[MAX_PENDING];
    int n_pending;
    int64_t seq;
    int32_t map_page[MAX_CUES];
    m2m_cue *map_cue[MAX_CUES];
    int n_map;
    voice_t voices[MAX_VOICES];
    int lead; /* index into voices, -1 for none */
    int64_t clock;
    int has_page, waiting;
    int32_t page;
    double volume, vol_from, vol_to;
    int muted;
    int64_t vol_pos, vol_len, end_pos, end_len;
    float *gain; /* max_block */
    double block_t;
    /* the callback's own figures */
    int64_t stats_cap;
    double *durations, *starts, *underrun_times;
    int64_t callbacks, underruns;
    double first_audible;
    int asked_priority, priority; /* 0 none, 1 realtime, 2 nice */
};

static inline int64_t load64(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void store64(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int m2m_abi(void) { return M2M_ABI; }
double m2m_now(void) { return now_s(); }

/* Writes to every page, so the audio thread never takes a page fault on first use (a
 * fault waits for the process's memory-map lock, which another thread's mmap or munmap
 * may hold). Volatile: the compiler must not drop stores into zeroed memory. */
static void prefault(void *p, size_t n) {
    volatile char *c = (volatile char *)p;
    for (size_t i = 0; i < n; i += 4096) c[i] = 0;
    if (n) c[n - 1] = 0;
}

m2m_mixer *m2m_mixer_new(int sample_rate, int channels, int max_block, int voices,
                         int64_t stats_cap) {
    m2m_mixer *m = calloc(1, sizeof(m2m_mixer));
    if (!m) return NULL;
    prefault(m, sizeof(m2m_mixer));
    m->sample_rate = sample_rate;
    m->channels = channels;
    m->max_block = max_block > 0 ? max_block : 8192;
    m->n_voices = voices < 1 ? 1 : (voices > MAX_VOICES ? MAX_VOICES : voices);
    m->gain = calloc((size_t)m->max_block, sizeof(float));
    m->stats_cap = stats_cap > 0 ? stats_cap : 8192;
    m->durations = calloc((size_t)m->stats_cap, sizeof(double));
    m->starts = calloc((size_t)m->stats_cap, sizeof(double));
    m->underrun_times = calloc((size_t)m->stats_cap, sizeof(double));
    if (!m->gain || !m->durations || !m->starts || !m->underrun_times) {
        free(m->gain); free(m->durations); free(m->starts); free(m->underrun_times); free(m);
        return NULL;
    }
    prefault(m->gain, (size_t)m->max_block * sizeof(float));
    prefault(m->durations, (size_t)m->stats_cap * sizeof(double));
    prefault(m->starts, (size_t)m->stats_cap * sizeof(double));
    prefault(m->underrun_times, (size_t)m->stats_cap * sizeof(double));
    m->lead = -1;
    m->volume = m->vol_from = m->vol_to = 1.0;
    m->end_pos = -1;
    m->scene_len = m->page_len = m->swap_len = m->start_len = m->ramp_len = 1;
    m->stinger_cooldown = (int64_t)llround(20.0 * (double)sample_rate); /* STINGER_COOLDOWN_S */
    m->last_stinger = -((int64_t)1 << 62);
    m->rt_priority = 10;
    return m;
}

void m2m_mixer_free(m2m_mixer *m) {
    if (!m) return;
    free(m->gain); free(m->durations); free(m->starts); free(m->underrun_times);
    free(m);
}

/* ---- any (one, serialised) producer thread ---------------------------------------- */

int m2m_push(m2m_mixer *m, const m2m_cmd *cmd) {
    int64_t tail = m->cmd_tail, head = load64(&m->cmd_head);
    if (tail - head >= CMD_RING) return 0;
    m->cmds[tail & (CMD_RING - 1)] = *cmd;
    store64(&m->cmd_tail, tail + 1);
    return 1;
}

/* Released cue ids, up to n; returns how many. */
int m2m_take_released(m2m_mixer *m, int32_t *out, int n) {
    int64_t head = m->rel_head, tail = load64(&m->rel_tail);
    int k = 0;
    while (head < tail && k < n) out[k++] = m->released[head++ % RELEASE_RING];
    store64(&m->rel_head, head);
    return k;
}

int m2m_take_events(m2m_mixer *m, m2m_event *out, int n) {
    int64_t head = m->ev_head, tail = load64(&m->ev_tail);
    int k = 0;
    while (head < tail && k < n) out[k++] = m->events[head++ % EVENT_RING];
    store64(&m->ev_head, head);
    return k;
}

int64_t m2m_clock(m2m_mixer *m) { return load64(&m->clock); }
int64_t m2m_callbacks(m2m_mixer *m) { return load64(&m->callbacks); }
int64_t m2m_underruns(m2m_mixer *m) { return load64(&m->underruns); }
double m2m_first_audible(m2m_mixer *m) {
    double t;
    __atomic_load(&m->first_audible, &t, __ATOMIC_ACQUIRE);
    return t;
}
int m2m_priority(m2m_mixer *m) { return __atomic_load_n(&m->priority, __ATOMIC_ACQUIRE); }
int64_t m2m_events_lost(m2m_mixer *m) { return load64(&m->events_lost); }
void m2m_configure(m2m_mixer *m, int record_events, int rt_priority) {
    m->record_events = record_events;
    m->rt_priority = rt_priority;
}

/* The callback's figures, oldest first: which 0: durations, 1: start times, 2: underrun
 * times (seconds, CLOCK_MONOTONIC for times). Returns how many were copied. */
int64_t m2m_stats(m2m_mixer *m, int which, double *out, int64_t n) {
    double *ring = which == 0 ? m->durations : (which == 1 ? m->starts : m->underrun_times);
    int64_t count = which == 2 ? load64(&m->underruns) : load64(&m->callbacks);
    int64_t k = count < m->stats_cap ? count : m->stats_cap;
    if (k > n) k = n;
    for (int64_t i = 0; i < k; i++) out[i] = ring[(count - k + i) % m->stats_cap];
    return k;
}

int m2m_finished(m2m_mixer *m) {
    int64_t pos = load64(&m->end_pos), len = load64(&m->end_len);
    return len > 0 && pos >= len;
}

/* ---- audio thread ------------------------------------------------------------------ */

static void release_id(m2m_mixer *m, m2m_cue *c) {
    int64_t tail = m->rel_tail, head = load64(&m->rel_head);
    if (tail - head >= RELEASE_RING) return; /* Python never collects: it keeps the cue */
    m->released[tail % RELEASE_RING] = c->id;
    store64(&m->rel_tail, tail + 1);
}

static void unref(m2m_mixer *m, m2m_cue *c) {
    if (c && --c->refs <= 0) release_id(m, c);
}

static void event(m2m_mixer *m, int64_t clock, int kind, int32_t page) {
    if (!m->record_events) return;
    int64_t tail = m->ev_tail, head = load64(&m->ev_head);
    if (tail - head >= EVENT_RING) { m->events_lost++; return; }
    m2m_event *e = &m->events[tail % EVENT_RING];
    e->clock = clock; e->kind = kind; e->page = page; e->t = m->block_t;
    store64(&m->ev_tail, tail + 1);
}

static int map_find(m2m_mixer *m, int32_t page) {
    for (int i = 0; i < m->n_map; i++)
        if (m->map_page[i] == page) return i;
    return -1;
}

static m2m_cue *map_get(m2m_mixer *m, int32_t page) {
    int i = map_find(m, page);
    return i < 0 ? NULL : m->map_cue[i];
}

static m2m_cue *map_pop(m2m_mixer *m, int32_t page) {
    int i = map_find(m, page);
    if (i < 0) return NULL;
    m2m_cue *c = m->map_cue[i];
    m->n_map--;
    m->map_page[i] = m->map_page[m->n_map];
    m->map_cue[i] = m->map_cue[m->n_map];
    return c;
}

/* sin(pi/2 * i/len) as float, computed as mixer.equal_power_table does */
static inline float ep(int64_t i, int64_t len) {
    return (float)sin(0.5 * 3.14159265358979323846 * (double)i / (double)(len > 0 ? len : 1));
}

static double voice_gain(const voice_t *v) {
    if (v->fading == FADE_IN) return (double)ep(v->env_pos, v->env_len);
    if (v->fading == FADE_OUT) return v->from_gain * (double)ep(v->env_len - v->env_pos, v->env_len);
    return 1.0;
}

static int lead_is(m2m_mixer *m, const m2m_cue *c) {
    if (m->lead < 0) return 0;
    voice_t *v = &m->voices[m->lead];
    return v->active && v->fading != FADE_OUT && v->cue == c;
}

static int64_t to_seam(const voice_t *v) {
    const m2m_cue *c = v->cue;
    int64_t to_end = c->loop_end - v->pos;
    if (c->bar <= 0) return to_end;
    int64_t b = ((-v->pos) % c->bar + c->bar) % c->bar;
    return b < to_end ? b : to_end;
}

static int64_t scene_len(m2m_mixer *m, int64_t bar) {
    int64_t length = m->scene_len;
    if (bar > 0) {
        int64_t bars = (int64_t)nearbyint((double)length / (double)bar); /* half to even */
        if (bars < 1) bars = 1;
        if (bars * bar <= 2 * length) length = bars * bar;
    }
    return length;
}

static void release_voice(m2m_mixer *m, int i) {
    voice_t *v = &m->voices[i];
    if (v->cue) unref(m, v->cue);
    v->active = 0; v->cue = NULL; v->fading = FADE_NONE;
    if (m->lead == i) m->lead = -1;
}

static int free_voice(m2m_mixer *m) {
    for (int i = 0; i < m->n_voices; i++)
        if (!m->voices[i].active) return i;
    int victim = 0;
    double best = voice_gain(&m->voices[0]);
    for (int i = 1; i < m->n_voices; i++) {
        double g = voice_gain(&m->voices[i]);
        if (g < best) { best = g; victim = i; }
    }
    release_voice(m, victim);
    return victim;
}

/* Make `c` the lead voice; fade > 0 overrides the crossfade (an upgrade, from 0). */
static void start(m2m_mixer *m, m2m_cue *c, int kind, int64_t fade, int ev_override) {
    m->waiting = 0;
    voice_t *lead = (m->lead >= 0 && m->voices[m->lead].active) ? &m->voices[m->lead] : NULL;
    int64_t from = 0, len;
    int ev;
    if (!lead || lead->fading == FADE_OUT) {
        len = lead ? m->page_len : m->start_len;
        ev = EV_START;
    } else if (lead->cue->scene != c->scene) {
        len = scene_len(m, c->bar);
        ev = EV_CHANGE;
    } else {
        const m2m_cue *old = lead->cue;
        if (fade <= 0 && kind == KIND_TURN && c->on_track && old->on_track) {
            /* one track for the whole scene (the library): it goes on where it is */
            event(m, m->clock, EV_CONTINUE, c->page);
            return;
        }
        len = m->page_len;
        ev = EV_TURN;
        if (kind == KIND_TURN && c->continues && c->bar > 0 && old->bar > 0) {
            double phase = (double)(lead->pos % old->bar) / (double)old->bar;
            from = (int64_t)(phase * (double)c->bar);
            if (from > c->loop_end - 1) from = c->loop_end - 1;
        }
    }
    if (fade > 0 && lead) { len = fade; ev = ev_override; from = 0; }
    if (c->continues == 2) {
        if (m->clock - m->last_stinger < m->stinger_cooldown)
            from += c->loop_end - c->loop_start;
        else
            m->last_stinger = m->clock;
    }
    for (int i = 0; i < m->n_voices; i++) {
        voice_t *v = &m->voices[i];
        if (v->active && v->fading != FADE_OUT) {
            v->from_gain = voice_gain(v);
            v->fading = FADE_OUT; v->env_pos = 0; v->env_len = len;
        }
    }
    int i = free_voice(m);
    voice_t *v = &m->voices[i];
    v->active = 1; v->cue = c; c->refs++; v->pos = from;
    v->fading = FADE_IN; v->env_pos = 0; v->env_len = len;
    m->lead = i;
    event(m, m->clock, ev, c->page);
}

static void insert_pending(m2m_mixer *m, int64_t at, const m2m_cmd *cmd);
static void apply(m2m_mixer *m, const m2m_cmd *cmd);

static void set_ramp(m2m_mixer *m) {
    double frac = m->vol_len ? (double)m->vol_pos / (double)m->vol_len : 1.0;
    if (frac > 1.0) frac = 1.0;
    m->vol_from = m->vol_from + (m->vol_to - m->vol_from) * frac;
    m->vol_to = m->muted ? 0.0 : m->volume;
    m->vol_pos = 0; m->vol_len = m->ramp_len;
}

static void apply(m2m_mixer *m, const m2m_cmd *cmd) {
    switch (cmd->type) {
    case CMD_CUE: {
        m2m_cue *c = cmd->cue, *old = NULL;
        int i = map_find(m, cmd->page);
        if (i >= 0) {
            old = m->map_cue[i];
            m->map_cue[i] = c;
        } else if (m->n_map < MAX_CUES) {
            m->map_page[m->n_map] = cmd->page; m->map_cue[m->n_map] = c; m->n_map++;
        } else { /* more cues than the engine ever keeps: let this one go */
            m->cues_dropped++;
            c->refs++; unref(m, c);
            return;
        }
        c->refs++;
        if (m->has_page && cmd->page == m->page && m->waiting) {
            start(m, c, KIND_TURN, 0, 0);
        } else if (m->has_page && cmd->page == m->page && old && lead_is(m, old)) {
            m2m_cmd swap = {0};
            swap.type = CMD_SWAP; swap.page = cmd->page; swap.cue = old;
            old->refs++;
            insert_pending(m, m->clock + to_seam(&m->voices[m->lead]), &swap);
        }
        if (old) unref(m, old);
        break;
    }
    case CMD_SWAP: {
        m2m_cue *old = cmd->cue, *c = map_get(m, cmd->page);
        if (m->has_page && cmd->page == m->page && c && c != old && lead_is(m, old))
            start(m, c, KIND_TURN, m->swap_len, EV_SWAP);
        unref(m, old);
        break;
    }
    case CMD_FORGET: {
        m2m_cue *old = map_pop(m, cmd->page);
        if (old) unref(m, old);
        break;
    }
    case CMD_TURN: {
        m->page = cmd->page; m->has_page = 1;
        m2m_cue *c = map_get(m, cmd->page);
        if (!c) m->waiting = 1; /* the music playing carries on until it comes */
        else if (!lead_is(m, c)) start(m, c, cmd->kind, 0, 0);
        break;
    }
    case CMD_VOLUME: m->volume = cmd->value; set_ramp(m); break;
    case CMD_MUTE: m->muted = cmd->flag; set_ramp(m); break;
    case CMD_FADE_OUT:
        store64(&m->end_len, cmd->a);
        store64(&m->end_pos, 0);
        break;
    case CMD_FADES:
        if (cmd->a > 0) m->scene_len = cmd->a;
        if (cmd->b > 0) m->page_len = cmd->b;
        if (cmd->c > 0) m->swap_len = cmd->c;
        if (cmd->value > 0) m->start_len = (int64_t)cmd->value;
        if (cmd->flag > 0) m->ramp_len = cmd->flag;
        break;
    }
}

static void pop_pending(m2m_mixer *m) {
    m2m_cmd cmd = m->pending[0].cmd;
    m->n_pending--;
    memmove(m->pending, m->pending + 1, (size_t)m->n_pending * sizeof(pending_t));
    apply(m, &cmd);
}

static void insert_pending(m2m_mixer *m, int64_t at, const m2m_cmd *cmd) {
    /* Full (commands timed far ahead piling up): the earliest one is applied now, early
     * but in order, to make room. */
    if (m->n_pending >= MAX_PENDING) pop_pending(m);
    int64_t seq = m->seq++;
    int i = m->n_pending;
    while (i > 0 && (m->pending[i - 1].at > at ||
                     (m->pending[i - 1].at == at && m->pending[i - 1].seq > seq))) {
        m->pending[i] = m->pending[i - 1];
        i--;
    }
    m->pending[i].at = at; m->pending[i].seq = seq; m->pending[i].cmd = *cmd;
    m->n_pending++;
}

static void drain(m2m_mixer *m) {
    int64_t head = m->cmd_head, tail = load64(&m->cmd_tail);
    while (head < tail) {
        const m2m_cmd *cmd = &m->cmds[head & (CMD_RING - 1)];
        int64_t at = m->clock;
        if ((cmd->type == CMD_TURN || cmd->type == CMD_FADE_OUT) && cmd->at > at) at = cmd->at;
        insert_pending(m, at, cmd);
        head++;
    }
    store64(&m->cmd_head, head);
}

/* Applies every command sent so far, now (for a mixer nobody pulls from). */
void m2m_drain_now(m2m_mixer *m) {
    m->block_t = now_s();
    drain(m);
    while (m->n_pending && m->pending[0].at <= m->clock) pop_pending(m);
}

/* Envelope for n samples into m->gain; 1 when the voice has faded out. */
static int envelope(m2m_mixer *m, voice_t *v, int n) {
    float *g = m->gain;
    if (v->fading == FADE_NONE) {
        for (int i = 0; i < n; i++) g[i] = 1.0f;
        return 0;
    }
    int64_t left = v->env_len - v->env_pos;
    int k = left < n ? (int)left : n;
    if (v->fading == FADE_IN) {
        for (int i = 0; i < k; i++) g[i] = ep(v->env_pos + i, v->env_len);
        for (int i = k; i < n; i++) g[i] = 1.0f;
    } else {
        float from = (float)v->from_gain;
        for (int i = 0; i < k; i++) g[i] = ep(v->env_len - v->env_pos - i, v->env_len) * from;
        for (int i = k; i < n; i++) g[i] = 0.0f;
    }
    v->env_pos += k;
    if (v->env_pos >= v->env_len) {
        if (v->fading == FADE_OUT) return 1;
        v->fading = FADE_NONE;
    }
    return 0;
}

static void ramp(float *out, int n, int ch, int64_t k0, double step, double base) {
    for (int i = 0; i < n; i++) {
        float g = (float)(((double)i + (double)k0) * step + base);
        for (int c = 0; c < ch; c++) out[i * ch + c] *= g;
    }
}

static void render(m2m_mixer *m, float *out, int n) {
    int ch = m->channels;
    memset(out, 0, (size_t)n * (size_t)ch * sizeof(float));
    if (n == 0) return;
    for (int vi = 0; vi < m->n_voices; vi++) {
        voice_t *v = &m->voices[vi];
        if (!v->active) continue;
        const m2m_cue *c = v->cue;
        int done = envelope(m, v, n);
        /* the voice's next n samples, wrapping at its loop end */
        int filled = 0;
        int64_t pos = v->pos;
        while (filled < n) {
            int64_t take = c->loop_end - pos;
            if (take > n - filled) take = n - filled;
            const float *src = c->audio + pos * ch;
            float *dst = out + (int64_t)filled * ch;
            const float *g = m->gain + filled;
            for (int64_t i = 0; i < take; i++)
                for (int k = 0; k < ch; k++) dst[i * ch + k] += src[i * ch + k] * g[i];
            filled += (int)take;
            pos += take;
            if (pos >= c->loop_end) {
                pos = c->loop_start;
                event(m, m->clock + filled, EV_LOOP, c->page);
            }
        }
        v->pos = pos;
        if (done) release_voice(m, vi);
    }
    /* master volume ramp, then the final fade-out */
    if (m->vol_pos < m->vol_len) {
        int64_t left = m->vol_len - m->vol_pos;
        int k = left < n ? (int)left : n;
        double step = (m->vol_to - m->vol_from) / (double)m->vol_len;
        ramp(out, k, ch, m->vol_pos + 1, step, m->vol_from);
        float to = (float)m->vol_to;
        for (int i = k * ch; i < n * ch; i++) out[i] *= to;
        m->vol_pos += k;
    } else if (m->vol_to != 1.0) {
        float to = (float)m->vol_to;
        for (int i = 0; i < n * ch; i++) out[i] *= to;
    }
    if (m->end_pos >= 0) {
        int64_t left = m->end_len - m->end_pos;
        int k = left < 0 ? 0 : (left < n ? (int)left : n);
        if (k) ramp(out, k, ch, m->end_pos, -1.0 / (double)m->end_len, 1.0);
        for (int i = k * ch; i < n * ch; i++) out[i] = 0.0f;
        store64(&m->end_pos, m->end_pos + k);
    }
}

void m2m_pull(m2m_mixer *m, float *out, int64_t n_total) {
    drain(m);
    int64_t done = 0;
    while (done < n_total) {
        while (m->n_pending && m->pending[0].at <= m->clock) pop_pending(m);
        int64_t n = n_total - done;
        if (n > m->max_block) n = m->max_block;
        if (m->n_pending && m->pending[0].at - m->clock < n) n = m->pending[0].at - m->clock;
        render(m, out + done * m->channels, (int)n);
        store64(&m->clock, m->clock + n);
        done += n;
    }
}

static int raise_priority(int prio) {
#if !defined(_WIN32)
    struct sched_param sp;
    memset(&sp, 0, sizeof sp);
    sp.sched_priority = prio;
    if (pthread_setschedparam(pthread_self(), SCHED_RR, &sp) == 0) return 1;
#endif
    (void)prio;
    return 0;
}

/* PortAudio's stream callback (PaStreamCallback), user data: the mixer. */
int m2m_pa_callback(const void *input, void *output, unsigned long frames,
                    const void *time_info, unsigned long status, void *user) {
    (void)input; (void)time_info;
    m2m_mixer *m = (m2m_mixer *)user;
    double t0 = now_s();
    m->block_t = t0;
    if (!m->asked_priority) {
        m->asked_priority = 1;
        __atomic_store_n(&m->priority, raise_priority(m->rt_priority), __ATOMIC_RELEASE);
    }
    int64_t cb = m->callbacks;
    if (status & 0x4) { /* paOutputUnderflow */
        m->underrun_times[m->underruns % m->stats_cap] = t0;
        store64(&m->underruns, m->underruns + 1);
    }
    m->starts[cb % m->stats_cap] = t0;
    float *out = (float *)output;
    m2m_pull(m, out, (int64_t)frames);
    if (m->first_audible == 0.0) {
        int64_t n = (int64_t)frames * m->channels;
        for (int64_t i = 0; i < n; i++)
            if (fabsf(out[i]) > 1e-4f) {
                __atomic_store(&m->first_audible, &t0, __ATOMIC_RELEASE);
                break;
            }
    }
    m->durations[cb % m->stats_cap] = now_s() - t0;
    store64(&m->callbacks, cb + 1);
    return 0; /* paContinue */
}
