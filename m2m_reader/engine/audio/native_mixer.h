/* What native_mixer.c shares with Python: the structs Python fills or reads and the
 * functions it calls. native.py hands this file to cffi's cdef as it is, so it holds
 * declarations only: no preprocessor lines (native_mixer.c includes <stdint.h> first).
 */
typedef struct m2m_mixer m2m_mixer; /* opaque to Python */

typedef struct m2m_cue {
    const float *audio; /* loop_end frames x channels, interleaved */
    int64_t loop_start, loop_end, bar;
    int32_t page, scene, continues, id;
    int32_t on_track; /* a stretch of its scene's one track (mixer.py, on_track) */
    int32_t refs; /* audio thread only */
} m2m_cue;

typedef struct m2m_cmd {
    int32_t type, page, kind, flag;
    int64_t at; /* sample time, -1: the start of the next block */
    int64_t a, b, c; /* lengths, for CMD_FADES and CMD_FADE_OUT */
    double value;
    m2m_cue *cue;
} m2m_cmd;

typedef struct m2m_event {
    int64_t clock;
    int32_t kind, page;
    double t; /* CLOCK_MONOTONIC seconds when the block holding it began */
} m2m_event;

int m2m_abi(void);
double m2m_now(void);
m2m_mixer *m2m_mixer_new(int sample_rate, int channels, int max_block, int voices,
                         int64_t stats_cap);
void m2m_mixer_free(m2m_mixer *m);
void m2m_configure(m2m_mixer *m, int record_events, int rt_priority);
int m2m_push(m2m_mixer *m, const m2m_cmd *cmd);
int m2m_take_released(m2m_mixer *m, int32_t *out, int n);
int m2m_take_events(m2m_mixer *m, m2m_event *out, int n);
int64_t m2m_clock(m2m_mixer *m);
int64_t m2m_callbacks(m2m_mixer *m);
int64_t m2m_underruns(m2m_mixer *m);
int64_t m2m_events_lost(m2m_mixer *m);
double m2m_first_audible(m2m_mixer *m);
int m2m_priority(m2m_mixer *m);
int64_t m2m_stats(m2m_mixer *m, int which, double *out, int64_t n);
int m2m_finished(m2m_mixer *m);
void m2m_drain_now(m2m_mixer *m);
void m2m_pull(m2m_mixer *m, float *out, int64_t n);
int m2m_pa_callback(const void *input, void *output, unsigned long frames,
                    const void *time_info, unsigned long status, void *user);
