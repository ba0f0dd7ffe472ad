/*
 * The C ABI end to end: every function, every error path, threads recording while a pusher
 * pushes to a real Pushgateway (values read back and checked exactly), a forked child
 * that pushes its own group, and remote write to a real Prometheus and VictoriaMetrics.
 * Run by tests/c/run.sh under ASan+UBSan and under valgrind.
 *
 *   test_pushmetrics [name-substring...]
 *
 * PGW_URL must point at a Pushgateway; PROM_URL and VM_URL at a Prometheus with its
 * remote-write receiver enabled and at a VictoriaMetrics (tests/receivers.sh starts both).
 */
#define _GNU_SOURCE
#include "pushmetrics.h"

#include <dirent.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed; last error: %s\n", __FILE__,       \
                    __LINE__, #cond, pm_last_error_message());                              \
            return 1;                                                                       \
        }                                                                                   \
    } while (0)
#define OK(call) CHECK((call) == PM_OK)
/* `call` fails with `status` and the last error message contains `text`. */
#define FAILS(call, status, text)                                                           \
    do {                                                                                    \
        pm_status got_ = (call);                                                            \
        if (got_ != (status) || !strstr(pm_last_error_message(), (text))) {                 \
            fprintf(stderr, "  %s:%d: %s gave %s (\"%s\"), expected %s with \"%s\"\n",       \
                    __FILE__, __LINE__, #call, pm_status_name((int)got_),                   \
                    pm_last_error_message(), #status, (text));                              \
            return 1;                                                                       \
        }                                                                                   \
    } while (0)

static const char *pgw_url(void) {
    const char *u = getenv("PGW_URL");
    return u ? u : "http://127.0.0.1:9091";
}

/* A registry private to one test. */
static pm_registry *new_registry(void) {
    pm_registry *r = NULL;
    if (pm_registry_new(NULL, &r) != PM_OK) abort();
    return r;
}

/* A pusher config for the test gateway that ignores PUSHMETRICS_* variables. */
static pm_pusher_config *gateway_config(const char *job) {
    pm_pusher_config *c = NULL;
    if (pm_pusher_config_new(&c) != PM_OK || pm_pusher_config_set_url(c, pgw_url()) != PM_OK ||
        pm_pusher_config_set_job(c, job) != PM_OK || pm_pusher_config_ignore_env(c) != PM_OK ||
        pm_pusher_config_set_interval_ms(c, 60000) != PM_OK ||
        pm_pusher_config_set_self_metrics(c, false) != PM_OK)
        abort();
    return c;
}

/*
 * The value of the first sample on the gateway whose line starts with `name{` and
 * contains every `k="v"` string in `labels` (NULL-terminated; a leading '!' means "does not
 * contain"). Returns 0 when found.
 */
static int gateway_value(const char *name, const char *const *labels, double *out) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "curl -fsS '%s/metrics'", pgw_url());
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    char line[4096];
    size_t n = strlen(name);
    int found = -1;
    while (fgets(line, sizeof line, f)) {
        if (found == 0 || strncmp(line, name, n) != 0 || line[n] != '{') continue;
        int all = 1;
        for (const char *const *l = labels; *l; l++)
            all &= **l == '!' ? strstr(line, *l + 1) == NULL : strstr(line, *l) != NULL;
        if (!all) continue;
        char *sp = strrchr(line, ' ');
        if (sp) {
            *out = strtod(sp + 1, NULL);
            found = 0;
        }
    }
    pclose(f);
    return found;
}

/* The whole standard output of a shell command, to free(); NULL if it failed. */
static char *command_output(const char *cmd) {
    FILE *f = popen(cmd, "r");
    if (!f) return NULL;
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap);
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) free(buf);
            buf = bigger;
        }
    }
    int rc = pclose(f);
    if (buf) buf[len] = '\0';
    if (rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Whether `text` contains every string of `needles` (NULL-terminated). */
static int contains_all(const char *text, const char *const *needles) {
    for (const char *const *n = needles; *n; n++)
        if (!strstr(text, *n)) return 0;
    return 1;
}

static double unix_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prometheus's (PROM_URL) JSON answer to the instant query `query` at unix time `at`, to
 * free(); NULL if the query failed. */
static char *prometheus_query(const char *query, double at) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "curl -fsS -G --data-urlencode 'query=%s' --data-urlencode 'time=%.3f' "
             "'%s/api/v1/query'",
             query, at, getenv("PROM_URL"));
    char *json = command_output(cmd);
    if (!json || !strstr(json, "\"status\":\"success\"")) {
        fprintf(stderr, "  query %s failed: %s\n", query, json ? json : "(curl failed)");
        free(json);
        return NULL;
    }
    return json;
}

/*
 * The value of the instant query `query` on Prometheus at unix time `at`, whose series JSON
 * contains every string of `labels` (`"job":"x"`). Returns 0 when found.
 */
static int prometheus_value(const char *query, double at, const char *const *labels,
                            double *out) {
    char *json = prometheus_query(query, at);
    if (!json) return -1;
    int found = -1;
    const char *v = strstr(json, "\"value\":[");
    if (v && contains_all(json, labels)) {
        const char *num = strstr(v, ",\"");
        if (num) {
            *out = strtod(num + 2, NULL);
            found = 0;
        }
    }
    if (found != 0) fprintf(stderr, "  query %s at %.3f gave %s\n", query, at, json);
    free(json);
    return found;
}

/*
 * The first value of the series matching `match` on VictoriaMetrics (VM_URL), whose JSON
 * contains every string of `labels`. A new series becomes searchable only after a delay
 * that each force_flush shortens, so this polls for up to 15 s. Returns 0 when found.
 */
static int victoria_first_value(const char *match, const char *const *labels, double *out) {
    char flush[512], export[1024];
    snprintf(flush, sizeof flush, "curl -fsS -o /dev/null '%s/internal/force_flush'",
             getenv("VM_URL"));
    snprintf(export, sizeof export,
             "curl -fsS -G --data-urlencode 'match[]=%s' '%s/api/v1/export'", match,
             getenv("VM_URL"));
    double deadline = unix_now() + 15;
    char *json = NULL;
    do {
        free(command_output(flush));
        free(json);
        json = command_output(export);
        const char *v = json ? strstr(json, "\"values\":[") : NULL;
        if (v && contains_all(json, labels)) {
            *out = strtod(v + strlen("\"values\":["), NULL);
            free(json);
            return 0;
        }
        usleep(150 * 1000);
    } while (unix_now() < deadline);
    fprintf(stderr, "  export of %s gave %s\n", match, json ? json : "(curl failed)");
    free(json);
    return -1;
}

/* ---- library ---------------------------------------------------------------------- */

static int test_version_abi_and_status_names(void) {
    CHECK(strlen(pm_version()) >= 5);
    CHECK(pm_abi_version() == PM_ABI_VERSION);
    CHECK(strcmp(pm_status_name(PM_OK), "PM_OK") == 0);
    CHECK(strcmp(pm_status_name(PM_ERR_SHUT_DOWN), "PM_ERR_SHUT_DOWN") == 0);
    CHECK(strcmp(pm_status_name(1000), "PM_ERR_UNKNOWN") == 0);
    CHECK(pm_last_error_message() != NULL);
    return 0;
}

/* ---- registries ------------------------------------------------------------------- */

static int test_registry_options_are_applied_and_checked(void) {
    pm_registry_options *o = NULL;
    OK(pm_registry_options_new(&o));
    OK(pm_registry_options_set_max_series_per_metric(o, 2));
    OK(pm_registry_options_set_max_series(o, 1000));
    OK(pm_registry_options_set_max_label_value_length(o, 32));
    OK(pm_registry_options_set_series_ttl_ms(o, 60000));
    pm_registry *r = NULL;
    OK(pm_registry_new(o, &r));
    pm_counter_vec *v = NULL;
    const char *names[] = {"k"};
    OK(pm_counter_vec_new(r, "limited_total", "Limited", names, 1, NULL, &v));
    const char *vals[][1] = {{"a"}, {"b"}, {"c"}, {"d"}};
    for (int i = 0; i < 4; i++) OK(pm_counter_vec_inc(v, vals[i], 1, 1.0));
    pm_guard_counts g;
    g.size = sizeof g;
    OK(pm_registry_guard_counts(r, "limited_total", &g));
    CHECK(g.size == sizeof g);
    CHECK(g.series == 2);
    CHECK(g.overflowed == 2);
    char *text = NULL;
    OK(pm_registry_encode_text_alloc(r, &text, NULL));
    CHECK(strstr(text, "limited_total{k=\"__overflow__\"} 2"));
    pm_string_free(text);
    FAILS(pm_registry_guard_counts(r, "nope", &g), PM_ERR_NOT_FOUND, "nope");
    pm_counter_vec_free(v);
    pm_registry_free(r);

    OK(pm_registry_options_set_max_series(o, 0));
    r = (pm_registry *)1;
    FAILS(pm_registry_new(o, &r), PM_ERR_INVALID_CONFIG, "max_series");
    pm_registry_options_free(o);
    return 0;
}

static int test_default_registry_is_shared(void) {
    pm_registry *a = NULL, *b = NULL;
    OK(pm_registry_default(&a));
    OK(pm_registry_default(&b));
    pm_counter *c = NULL, *d = NULL;
    OK(pm_counter_new(a, "default_shared_total", "Shared", NULL, &c));
    OK(pm_counter_inc(c, 2));
    OK(pm_counter_new(b, "default_shared_total", "Shared", NULL, &d));
    double v = 0;
    OK(pm_counter_get(d, &v));
    CHECK(v == 2);
    bool existed = false;
    OK(pm_registry_unregister(a, "default_shared_total", &existed));
    CHECK(existed);
    OK(pm_registry_unregister(a, "default_shared_total", &existed));
    CHECK(!existed);
    OK(pm_registry_unregister(a, "default_shared_total", NULL));
    pm_counter_free(c);
    pm_counter_free(d);
    pm_registry_free(a);
    pm_registry_free(b);
    return 0;
}

static int test_encode_text_into_caller_buffer(void) {
    pm_registry *r = new_registry();
    pm_gauge *g = NULL;
    OK(pm_gauge_new(r, "temperature", "Temperature", NULL, &g));
    OK(pm_gauge_set(g, 21.5));
    size_t needed = 0;
    FAILS(pm_registry_encode_text(r, NULL, 0, &needed), PM_ERR_BUFFER_TOO_SMALL, "needed");
    CHECK(needed > 10);
    char small[4] = "xyz";
    FAILS(pm_registry_encode_text(r, small, sizeof small, &needed), PM_ERR_BUFFER_TOO_SMALL,
          "4 bytes");
    CHECK(strcmp(small, "xyz") == 0);
    char *buf = malloc(needed);
    size_t again = 0;
    OK(pm_registry_encode_text(r, buf, needed, &again));
    CHECK(again == needed && strlen(buf) + 1 == needed);
    CHECK(strstr(buf, "# TYPE temperature gauge\n"));
    CHECK(strstr(buf, "temperature 21.5\n"));
    char *alloc = NULL;
    size_t len = 0;
    OK(pm_registry_encode_text_alloc(r, &alloc, &len));
    CHECK(len == strlen(alloc) && strcmp(alloc, buf) == 0);
    pm_string_free(alloc);
    pm_string_free(NULL);
    free(buf);
    size_t count = 0;
    OK(pm_registry_series_count(r, &count));
    CHECK(count == 1);
    pm_gauge_free(g);
    pm_registry_free(r);
    return 0;
}

static int test_reset_zeroes_counters_and_keeps_gauges(void) {
    pm_registry *r = new_registry();
    pm_counter *c = NULL;
    pm_gauge *g = NULL;
    OK(pm_counter_new(r, "done_total", "Done", NULL, &c));
    OK(pm_gauge_new(r, "level", "Level", NULL, &g));
    OK(pm_counter_inc(c, 5));
    OK(pm_gauge_set(g, 7));
    OK(pm_registry_reset(r));
    double v = -1;
    OK(pm_counter_get(c, &v));
    CHECK(v == 0);
    OK(pm_gauge_get(g, &v));
    CHECK(v == 7);
    pm_counter_free(c);
    pm_gauge_free(g);
    pm_registry_free(r);
    return 0;
}

/* ---- metrics ---------------------------------------------------------------------- */

static int test_counter_counts_and_rejects_bad_increments(void) {
    pm_registry *r = new_registry();
    pm_counter *c = NULL;
    OK(pm_counter_new(r, "rows_total", "Rows", NULL, &c));
    OK(pm_counter_inc(c, 1));
    OK(pm_counter_inc(c, 2.5));
    FAILS(pm_counter_inc(c, -1), PM_ERR_INVALID_VALUE, "rows_total");
    FAILS(pm_counter_inc(c, NAN), PM_ERR_INVALID_VALUE, "finite");
    FAILS(pm_counter_inc(c, INFINITY), PM_ERR_INVALID_VALUE, "finite");
    double v = 0;
    OK(pm_counter_get(c, &v));
    CHECK(v == 3.5);
    /* The same definition again is the same metric. */
    pm_counter *same = NULL;
    OK(pm_counter_new(r, "rows_total", "Rows", NULL, &same));
    OK(pm_counter_inc(same, 1));
    OK(pm_counter_get(c, &v));
    CHECK(v == 4.5);
    pm_counter_free(same);
    pm_counter_free(c);
    pm_registry_free(r);
    return 0;
}

static int test_counter_vec_series_handles_and_one_shot_calls(void) {
    pm_registry *r = new_registry();
    pm_metric_options *o = NULL;
    OK(pm_metric_options_new(&o));
    OK(pm_metric_options_add_const_label(o, "service", "api"));
    const char *names[] = {"method", "code"};
    pm_counter_vec *v = NULL;
    OK(pm_counter_vec_new(r, "requests_total", "Requests", names, 2, o, &v));
    const char *get200[] = {"GET", "200"};
    pm_counter *held = NULL;
    OK(pm_counter_vec_with(v, get200, 2, &held));
    OK(pm_counter_inc(held, 1));
    OK(pm_counter_vec_inc(v, get200, 2, 2));
    const char *pair_names[] = {"code", "method"};
    const char *pair_values[] = {"200", "GET"};
    pm_counter *by_name = NULL;
    OK(pm_counter_vec_with_labels(v, pair_names, pair_values, 2, &by_name));
    double x = 0;
    OK(pm_counter_get(by_name, &x));
    CHECK(x == 3);
    const char *unicode[] = {"PÖST", "ünïcödé/with \"quotes\""};
    OK(pm_counter_vec_inc(v, unicode, 2, 1));

    pm_counter *none = (pm_counter *)1;
    FAILS(pm_counter_vec_with(v, get200, 1, &none), PM_ERR_INVALID_LABELS, "2 label name");
    CHECK(none == NULL);
    const char *three[] = {"GET", "200", "extra"};
    FAILS(pm_counter_vec_inc(v, three, 3, 1), PM_ERR_INVALID_LABELS, "requests_total");
    const char *wrong[] = {"code", "verb"};
    FAILS(pm_counter_vec_with_labels(v, wrong, pair_values, 2, &none), PM_ERR_INVALID_LABELS,
          "verb");
    FAILS(pm_counter_vec_inc(v, get200, 2, -1), PM_ERR_INVALID_VALUE, "requests_total");

    char *text = NULL;
    OK(pm_registry_encode_text_alloc(r, &text, NULL));
    CHECK(strstr(text, "requests_total{method=\"GET\",code=\"200\",service=\"api\"} 3") ||
          strstr(text, "requests_total{service=\"api\",method=\"GET\",code=\"200\"} 3"));
    pm_string_free(text);
    pm_counter_free(held);
    pm_counter_free(by_name);
    pm_counter_vec_free(v);
    pm_metric_options_free(o);
    pm_registry_free(r);
    return 0;
}

static int test_many_label_values_beyond_the_inline_buffer(void) {
    pm_registry *r = new_registry();
    const char *names[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
    const char *values[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"};
    pm_counter_vec *v = NULL;
    OK(pm_counter_vec_new(r, "wide_total", "Ten labels", names, 10, NULL, &v));
    OK(pm_counter_vec_inc(v, values, 10, 1));
    pm_counter *c = NULL;
    OK(pm_counter_vec_with(v, values, 10, &c));
    double x = 0;
    OK(pm_counter_get(c, &x));
    CHECK(x == 1);
    const char *bad[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "\xff"};
    FAILS(pm_counter_vec_inc(v, bad, 10, 1), PM_ERR_INVALID_ARGUMENT, "values[9]");
    pm_counter_free(c);
    pm_counter_vec_free(v);
    pm_registry_free(r);
    return 0;
}

static int test_gauge_moves_both_ways(void) {
    pm_registry *r = new_registry();
    pm_gauge *g = NULL;
    OK(pm_gauge_new(r, "queue_depth", "Queue", NULL, &g));
    OK(pm_gauge_set(g, 10));
    OK(pm_gauge_add(g, 2.5));
    OK(pm_gauge_sub(g, 0.5));
    OK(pm_gauge_inc(g));
    OK(pm_gauge_dec(g));
    OK(pm_gauge_dec(g));
    double v = 0;
    OK(pm_gauge_get(g, &v));
    CHECK(v == 11);
    OK(pm_gauge_set_to_current_time(g));
    OK(pm_gauge_get(g, &v));
    CHECK(v > 1.6e9);

    const char *names[] = {"room"};
    pm_gauge_vec *gv = NULL;
    OK(pm_gauge_vec_new(r, "room_celsius", "Rooms", names, 1, NULL, &gv));
    const char *kitchen[] = {"kitchen"};
    OK(pm_gauge_vec_set(gv, kitchen, 1, 20));
    OK(pm_gauge_vec_add(gv, kitchen, 1, -1.5));
    pm_gauge *k = NULL;
    OK(pm_gauge_vec_with(gv, kitchen, 1, &k));
    OK(pm_gauge_get(k, &v));
    CHECK(v == 18.5);
    const char *room[] = {"room"};
    pm_gauge *k2 = NULL;
    OK(pm_gauge_vec_with_labels(gv, room, kitchen, 1, &k2));
    OK(pm_gauge_get(k2, &v));
    CHECK(v == 18.5);
    FAILS(pm_gauge_vec_set(gv, kitchen, 0, 1), PM_ERR_INVALID_LABELS, "room_celsius");

    pm_metric_options *o = NULL;
    OK(pm_metric_options_new(&o));
    OK(pm_metric_options_set_sampling_every_nth(o, 2));
    pm_gauge *sampled = (pm_gauge *)1;
    FAILS(pm_gauge_new(r, "sampled_gauge", "No", o, &sampled), PM_ERR_INVALID_CONFIG,
          "gauges cannot be sampled");
    CHECK(sampled == NULL);
    pm_metric_options_free(o);
    pm_gauge_free(k);
    pm_gauge_free(k2);
    pm_gauge_vec_free(gv);
    pm_gauge_free(g);
    pm_registry_free(r);
    return 0;
}

static int test_histogram_buckets_and_helpers(void) {
    double lin[3] = {0};
    OK(pm_linear_buckets(1, 2, 3, lin));
    CHECK(lin[0] == 1 && lin[1] == 3 && lin[2] == 5);
    double ex[3] = {0};
    OK(pm_exponential_buckets(1, 10, 3, ex));
    CHECK(ex[0] == 1 && ex[1] == 10 && ex[2] == 100);
    FAILS(pm_linear_buckets(1, 0, 3, lin), PM_ERR_INVALID_CONFIG, "width");
    FAILS(pm_exponential_buckets(1, 1, 3, ex), PM_ERR_INVALID_CONFIG, "factor");
    FAILS(pm_linear_buckets(1, 1, 3, NULL), PM_ERR_INVALID_ARGUMENT, "`out`");

    pm_registry *r = new_registry();
    pm_metric_options *o = NULL;
    OK(pm_metric_options_new(&o));
    OK(pm_metric_options_set_buckets(o, lin, 3));
    pm_histogram *h = NULL;
    OK(pm_histogram_new(r, "job_seconds", "Job", o, &h));
    OK(pm_histogram_observe(h, 0.5));
    OK(pm_histogram_observe(h, 4));
    OK(pm_histogram_observe(h, 100));
    FAILS(pm_histogram_observe(h, NAN), PM_ERR_INVALID_VALUE, "NaN");
    uint64_t count = 0;
    double sum = 0;
    OK(pm_histogram_count(h, &count));
    OK(pm_histogram_sum(h, &sum));
    CHECK(count == 3 && sum == 104.5);

    const char *names[] = {"route"};
    pm_histogram_vec *hv = NULL;
    OK(pm_histogram_vec_new(r, "route_seconds", "Routes", names, 1, o, &hv));
    const char *root[] = {"/"};
    OK(pm_histogram_vec_observe(hv, root, 1, 2));
    pm_histogram *rh = NULL, *rh2 = NULL;
    OK(pm_histogram_vec_with(hv, root, 1, &rh));
    OK(pm_histogram_vec_with_labels(hv, names, root, 1, &rh2));
    OK(pm_histogram_observe(rh2, 3));
    OK(pm_histogram_count(rh, &count));
    CHECK(count == 2);
    char *text = NULL;
    OK(pm_registry_encode_text_alloc(r, &text, NULL));
    CHECK(strstr(text, "job_seconds_bucket{le=\"3.0\"} 1\n"));
    CHECK(strstr(text, "job_seconds_bucket{le=\"5.0\"} 2\n"));
    CHECK(strstr(text, "job_seconds_bucket{le=\"+Inf\"} 3\n"));
    CHECK(strstr(text, "route_seconds_count{route=\"/\"} 2\n"));
    pm_string_free(text);

    double bad[] = {2, 1};
    OK(pm_metric_options_set_buckets(o, bad, 2));
    pm_histogram *none = NULL;
    pm_histogram_vec *none_vec = NULL;
    FAILS(pm_histogram_new(r, "bad_seconds", "Bad", o, &none), PM_ERR_INVALID_CONFIG,
          "strictly increasing");
    const char *le[] = {"le"};
    FAILS(pm_histogram_vec_new(r, "le_seconds", "Le", le, 1, NULL, &none_vec), PM_ERR_INVALID_NAME,
          "\"le\"");
    pm_histogram_free(rh);
    pm_histogram_free(rh2);
    pm_histogram_vec_free(hv);
    pm_histogram_free(h);
    pm_metric_options_free(o);
    pm_registry_free(r);
    return 0;
}

static int test_summary_quantiles_count_and_sum(void) {
    pm_registry *r = new_registry();
    pm_metric_options *o = NULL;
    OK(pm_metric_options_new(&o));
    double q[] = {0.5, 0.99};
    OK(pm_metric_options_set_quantiles(o, q, 2));
    OK(pm_metric_options_set_max_age_ms(o, 60000));
    OK(pm_metric_options_set_age_buckets(o, 3));
    pm_summary *s = NULL;
    OK(pm_summary_new(r, "payload_bytes", "Payloads", o, &s));
    for (int i = 1; i <= 100; i++) OK(pm_summary_observe(s, i));
    FAILS(pm_summary_observe(s, NAN), PM_ERR_INVALID_VALUE, "NaN");
    uint64_t count = 0;
    double sum = 0, median = 0;
    OK(pm_summary_count(s, &count));
    OK(pm_summary_sum(s, &sum));
    OK(pm_summary_quantile(s, 0.5, &median));
    CHECK(count == 100 && sum == 5050);
    CHECK(fabs(median - 50) <= 1.5);

    const char *names[] = {"queue"};
    pm_summary_vec *sv = NULL;
    OK(pm_summary_vec_new(r, "wait_seconds", "Waits", names, 1, o, &sv));
    const char *fast[] = {"fast"};
    OK(pm_summary_vec_observe(sv, fast, 1, 0.25));
    pm_summary *f = NULL, *f2 = NULL;
    OK(pm_summary_vec_with(sv, fast, 1, &f));
    OK(pm_summary_vec_with_labels(sv, names, fast, 1, &f2));
    OK(pm_summary_observe(f2, 0.75));
    OK(pm_summary_count(f, &count));
    OK(pm_summary_sum(f, &sum));
    CHECK(count == 2 && sum == 1);
    const char *quantile[] = {"quantile"};
    pm_summary *none = NULL;
    pm_summary_vec *none_vec = NULL;
    FAILS(pm_summary_vec_new(r, "q_seconds", "Q", quantile, 1, NULL, &none_vec), PM_ERR_INVALID_NAME,
          "quantile");
    double badq[] = {1.5};
    OK(pm_metric_options_set_quantiles(o, badq, 1));
    FAILS(pm_summary_new(r, "bad_summary", "Bad", o, &none), PM_ERR_INVALID_CONFIG, "1.5");
    pm_summary_free(f);
    pm_summary_free(f2);
    pm_summary_vec_free(sv);
    pm_summary_free(s);
    pm_metric_options_free(o);
    pm_registry_free(r);
    return 0;
}

static int test_invalid_names_and_conflicts(void) {
    pm_registry *r = new_registry();
    pm_counter *c = NULL;
    FAILS(pm_counter_new(r, "bad-name", "Bad", NULL, &c), PM_ERR_INVALID_NAME, "bad-name");
    FAILS(pm_counter_new(r, "", "Empty", NULL, &c), PM_ERR_INVALID_NAME, "invalid metric name");
    const char *reserved[] = {"__secret"};
    pm_counter_vec *v = NULL;
    FAILS(pm_counter_vec_new(r, "x_total", "X", reserved, 1, NULL, &v), PM_ERR_INVALID_NAME,
          "__secret");
    const char *twice[] = {"a", "a"};
    FAILS(pm_counter_vec_new(r, "x_total", "X", twice, 2, NULL, &v), PM_ERR_INVALID_NAME,
          "more than once");
    OK(pm_counter_new(r, "taken", "Taken", NULL, &c));
    pm_gauge *g = NULL;
    FAILS(pm_gauge_new(r, "taken", "Taken", NULL, &g), PM_ERR_CONFLICT, "another type");
    pm_counter *c2 = NULL;
    FAILS(pm_counter_new(r, "taken", "Other help", NULL, &c2), PM_ERR_CONFLICT, "taken");
    pm_counter_free(c);
    pm_registry_free(r);
    return 0;
}

static int test_options_apply_only_to_their_metric_type(void) {
    pm_registry *r = new_registry();
    pm_metric_options *o = NULL;
    OK(pm_metric_options_new(&o));
    double b[] = {1, 2};
    OK(pm_metric_options_set_buckets(o, b, 2));
    pm_counter *c = NULL;
    FAILS(pm_counter_new(r, "c_total", "C", o, &c), PM_ERR_INVALID_ARGUMENT, "buckets");
    pm_summary *s = NULL;
    FAILS(pm_summary_new(r, "s", "S", o, &s), PM_ERR_INVALID_ARGUMENT, "summary");
    pm_metric_options_free(o);
    OK(pm_metric_options_new(&o));
    double q[] = {0.5};
    OK(pm_metric_options_set_quantiles(o, q, 1));
    pm_histogram *h = NULL;
    FAILS(pm_histogram_new(r, "h", "H", o, &h), PM_ERR_INVALID_ARGUMENT, "quantiles");
    pm_gauge *g = NULL;
    FAILS(pm_gauge_new(r, "g", "G", o, &g), PM_ERR_INVALID_ARGUMENT, "gauge");
    pm_metric_options_free(o);
    pm_registry_free(r);
    return 0;
}

static int test_sampling_keeps_estimates_unbiased(void) {
    pm_registry *r = new_registry();
    pm_metric_options *o = NULL;
    OK(pm_metric_options_new(&o));
    OK(pm_metric_options_set_sampling_every_nth(o, 10));
    pm_counter *c = NULL;
    OK(pm_counter_new(r, "hits_total", "Hits", o, &c));
    for (int i = 0; i < 100; i++) OK(pm_counter_inc(c, 1));
    double v = 0;
    OK(pm_counter_get(c, &v));
    CHECK(v == 100);
    pm_guard_counts g;
    g.size = sizeof g;
    OK(pm_registry_guard_counts(r, "hits_total", &g));
    CHECK(g.sampled_seen == 100 && g.sampled_kept == 10);

    OK(pm_metric_options_set_sampling_probability(o, 1.0));
    pm_counter *p = NULL;
    OK(pm_counter_new(r, "prob_total", "P", o, &p));
    OK(pm_counter_inc(p, 1));
    OK(pm_counter_get(p, &v));
    CHECK(v == 1);
    OK(pm_metric_options_set_sampling_adaptive(o, 1000));
    pm_histogram *h = NULL;
    OK(pm_histogram_new(r, "adaptive_seconds", "A", o, &h));
    OK(pm_histogram_observe(h, 1));
    OK(pm_metric_options_set_sampling_always(o));
    pm_summary *s = NULL;
    OK(pm_summary_new(r, "always_summary", "S", o, &s));

    OK(pm_metric_options_set_sampling_probability(o, 0));
    pm_counter *bad = NULL;
    FAILS(pm_counter_new(r, "bad_total", "B", o, &bad), PM_ERR_INVALID_CONFIG, "probability");
    OK(pm_metric_options_set_sampling_every_nth(o, 0));
    FAILS(pm_counter_new(r, "bad_total", "B", o, &bad), PM_ERR_INVALID_CONFIG, "every_nth");
    pm_counter_free(c);
    pm_counter_free(p);
    pm_histogram_free(h);
    pm_summary_free(s);
    pm_metric_options_free(o);
    pm_registry_free(r);
    return 0;
}

static int test_cardinality_options_hash_drop_and_limit(void) {
    pm_registry_options *ro = NULL;
    OK(pm_registry_options_new(&ro));
    OK(pm_registry_options_set_max_label_value_length(ro, 16));
    pm_registry *r = NULL;
    OK(pm_registry_new(ro, &r));
    pm_registry_options_free(ro);

    pm_metric_options *o = NULL;
    OK(pm_metric_options_new(&o));
    OK(pm_metric_options_add_hashed_label(o, "user", 4));
    OK(pm_metric_options_add_dropped_label(o, "request_id"));
    OK(pm_metric_options_set_max_series(o, 100));
    const char *names[] = {"user", "request_id", "path"};
    pm_counter_vec *v = NULL;
    OK(pm_counter_vec_new(r, "logins_total", "Logins", names, 3, o, &v));
    char user[32], id[32];
    for (int i = 0; i < 200; i++) {
        snprintf(user, sizeof user, "user%d", i);
        snprintf(id, sizeof id, "req%d", i);
        const char *values[] = {user, id, "/a-very-long-path-beyond-sixteen-bytes"};
        OK(pm_counter_vec_inc(v, values, 3, 1));
    }
    pm_guard_counts g;
    g.size = sizeof g;
    OK(pm_registry_guard_counts(r, "logins_total", &g));
    CHECK(g.series <= 4 && g.series >= 1);
    CHECK(g.overflowed == 0);
    CHECK(g.truncated >= 1);

    OK(pm_metric_options_add_hashed_label(o, "nope", 2));
    pm_counter_vec *none = NULL;
    FAILS(pm_counter_vec_new(r, "other_total", "O", names, 3, o, &none), PM_ERR_INVALID_LABELS,
          "nope");
    pm_counter_vec_free(v);
    pm_metric_options_free(o);
    pm_registry_free(r);
    return 0;
}

/* ---- argument checks ---------------------------------------------------------------- */

static int test_null_arguments_are_refused_by_name(void) {
    pm_registry *r = new_registry();
    pm_counter *c = NULL;
    pm_counter_vec *cv = NULL;
    double d = 0;
    FAILS(pm_registry_new(NULL, NULL), PM_ERR_INVALID_ARGUMENT, "`out`");
    FAILS(pm_registry_options_new(NULL), PM_ERR_INVALID_ARGUMENT, "`out`");
    FAILS(pm_registry_options_set_max_series(NULL, 1), PM_ERR_INVALID_ARGUMENT, "`options`");
    FAILS(pm_counter_new(NULL, "a", "b", NULL, &c), PM_ERR_INVALID_ARGUMENT, "`registry`");
    FAILS(pm_counter_new(r, NULL, "b", NULL, &c), PM_ERR_INVALID_ARGUMENT, "`name`");
    FAILS(pm_counter_new(r, "a", NULL, NULL, &c), PM_ERR_INVALID_ARGUMENT, "`help`");
    FAILS(pm_counter_new(r, "a", "b", NULL, NULL), PM_ERR_INVALID_ARGUMENT, "`out`");
    FAILS(pm_counter_vec_new(r, "a", "b", NULL, 1, NULL, &cv), PM_ERR_INVALID_ARGUMENT,
          "`labelnames`");
    const char *with_null[] = {"a", NULL};
    FAILS(pm_counter_vec_new(r, "a", "b", with_null, 2, NULL, &cv), PM_ERR_INVALID_ARGUMENT,
          "`labelnames[1]`");
    FAILS(pm_counter_inc(NULL, 1), PM_ERR_INVALID_ARGUMENT, "`counter`");
    FAILS(pm_counter_get(NULL, &d), PM_ERR_INVALID_ARGUMENT, "`counter`");
    OK(pm_counter_new(r, "a_total", "b", NULL, &c));
    FAILS(pm_counter_get(c, NULL), PM_ERR_INVALID_ARGUMENT, "`out`");
    FAILS(pm_counter_vec_inc(NULL, with_null, 1, 1), PM_ERR_INVALID_ARGUMENT, "`vec`");
    FAILS(pm_gauge_set(NULL, 1), PM_ERR_INVALID_ARGUMENT, "`gauge`");
    FAILS(pm_histogram_observe(NULL, 1), PM_ERR_INVALID_ARGUMENT, "`histogram`");
    FAILS(pm_summary_observe(NULL, 1), PM_ERR_INVALID_ARGUMENT, "`summary`");
    FAILS(pm_metric_options_set_buckets(NULL, &d, 1), PM_ERR_INVALID_ARGUMENT, "`options`");
    pm_metric_options *o = NULL;
    OK(pm_metric_options_new(&o));
    FAILS(pm_metric_options_set_buckets(o, NULL, 2), PM_ERR_INVALID_ARGUMENT, "`bounds`");
    FAILS(pm_metric_options_add_const_label(o, "k", NULL), PM_ERR_INVALID_ARGUMENT, "`value`");
    FAILS(pm_pusher_config_new(NULL), PM_ERR_INVALID_ARGUMENT, "`out`");
    FAILS(pm_pusher_config_set_job(NULL, "j"), PM_ERR_INVALID_ARGUMENT, "`config`");
    pm_pusher_config *pc = NULL;
    OK(pm_pusher_config_new(&pc));
    FAILS(pm_pusher_config_set_url(pc, NULL), PM_ERR_INVALID_ARGUMENT, "`url`");
    FAILS(pm_pusher_start(pc, NULL, NULL), PM_ERR_INVALID_ARGUMENT, "`out`");
    pm_pusher *p = NULL;
    FAILS(pm_pusher_start(NULL, r, &p), PM_ERR_INVALID_ARGUMENT, "`config`");
    FAILS(pm_pusher_start(pc, NULL, &p), PM_ERR_INVALID_ARGUMENT, "`registry`");
    FAILS(pm_pusher_flush(NULL, 10, NULL), PM_ERR_INVALID_ARGUMENT, "`pusher`");
    FAILS(pm_pusher_shutdown(NULL, 10), PM_ERR_INVALID_ARGUMENT, "`pusher`");
    FAILS(pm_pusher_stats(NULL, NULL), PM_ERR_INVALID_ARGUMENT, "`pusher`");
    size_t needed = 0;
    FAILS(pm_registry_encode_text(r, NULL, 10, &needed), PM_ERR_INVALID_ARGUMENT, "`buf`");
    FAILS(pm_registry_encode_text(r, NULL, 0, NULL), PM_ERR_INVALID_ARGUMENT, "`needed`");
    FAILS(pm_set_log_callback(NULL, NULL, 0), PM_ERR_INVALID_ARGUMENT, "`max_level`");
    /* Every free function accepts NULL. */
    pm_registry_free(NULL);
    pm_registry_options_free(NULL);
    pm_metric_options_free(NULL);
    pm_counter_free(NULL);
    pm_counter_vec_free(NULL);
    pm_gauge_free(NULL);
    pm_gauge_vec_free(NULL);
    pm_histogram_free(NULL);
    pm_histogram_vec_free(NULL);
    pm_summary_free(NULL);
    pm_summary_vec_free(NULL);
    pm_pusher_config_free(NULL);
    pm_pusher_free(NULL);
    pm_pusher_config_free(pc);
    pm_metric_options_free(o);
    pm_counter_free(c);
    pm_registry_free(r);
    return 0;
}

static int test_non_utf8_input_is_refused_by_name(void) {
    pm_registry *r = new_registry();
    pm_counter *c = NULL;
    FAILS(pm_counter_new(r, "ok_total", "bad \xff help", NULL, &c), PM_ERR_INVALID_ARGUMENT,
          "`help` is not valid UTF-8");
    FAILS(pm_counter_new(r, "caf\xc3", "x", NULL, &c), PM_ERR_INVALID_ARGUMENT, "`name`");
    const char *names[] = {"a", "b"};
    pm_counter_vec *v = NULL;
    OK(pm_counter_vec_new(r, "utf8_total", "U", names, 2, NULL, &v));
    const char *values[] = {"fine", "\xc0\xaf"};
    FAILS(pm_counter_vec_inc(v, values, 2, 1), PM_ERR_INVALID_ARGUMENT, "`values[1]`");
    pm_pusher_config *pc = NULL;
    OK(pm_pusher_config_new(&pc));
    FAILS(pm_pusher_config_set_job(pc, "j\xfe"), PM_ERR_INVALID_ARGUMENT, "`job`");
    FAILS(pm_pusher_config_set_method(pc, "\xff"), PM_ERR_INVALID_ARGUMENT, "`method`");
    pm_pusher_config_free(pc);
    pm_counter_vec_free(v);
    pm_registry_free(r);
    return 0;
}

static int test_versioned_structs_check_their_size(void) {
    pm_registry *r = new_registry();
    pm_counter *c = NULL;
    OK(pm_counter_new(r, "x_total", "X", NULL, &c));
    pm_guard_counts g;
    memset(&g, 0, sizeof g);
    FAILS(pm_registry_guard_counts(r, "x_total", &g), PM_ERR_INVALID_ARGUMENT, "size");
    g.size = sizeof g;
    OK(pm_registry_guard_counts(r, "x_total", &g));
    CHECK(g.size == sizeof g && g.series == 1);
    pm_counter_free(c);
    pm_registry_free(r);
    return 0;
}

/* ---- a hostile or careless caller ---------------------------------------------------- */

static int test_absurd_counts_are_refused_before_memory_is_touched(void) {
    /* Each count is checked against its documented cap before the array behind it is read
     * or anything is allocated; the message names the count. */
    double *room = calloc(PM_MAX_BUCKETS + 1, sizeof(double));
    CHECK(room != NULL);
    FAILS(pm_linear_buckets(1, 1, SIZE_MAX, room), PM_ERR_INVALID_ARGUMENT,
          "`count` is 18446744073709551615");
    FAILS(pm_linear_buckets(1, 1, (size_t)1 << 40, room), PM_ERR_INVALID_ARGUMENT,
          "PM_MAX_BUCKETS");
    FAILS(pm_exponential_buckets(1, 2, SIZE_MAX, room), PM_ERR_INVALID_ARGUMENT,
          "`count` is 18446744073709551615");
    FAILS(pm_linear_buckets(1, 1, PM_MAX_BUCKETS + 1, room), PM_ERR_INVALID_ARGUMENT,
          "at most 4096");
    CHECK(room[0] == 0 && room[PM_MAX_BUCKETS] == 0);
    OK(pm_linear_buckets(1, 1, PM_MAX_BUCKETS, room));
    CHECK(room[PM_MAX_BUCKETS - 1] == PM_MAX_BUCKETS && room[PM_MAX_BUCKETS] == 0);

    pm_metric_options *o = NULL;
    OK(pm_metric_options_new(&o));
    double one[] = {1};
    FAILS(pm_metric_options_set_buckets(o, one, SIZE_MAX), PM_ERR_INVALID_ARGUMENT,
          "`n` is 18446744073709551615");
    FAILS(pm_metric_options_set_buckets(o, room, PM_MAX_BUCKETS + 1), PM_ERR_INVALID_ARGUMENT,
          "PM_MAX_BUCKETS");
    OK(pm_metric_options_set_buckets(o, room, PM_MAX_BUCKETS));
    FAILS(pm_metric_options_set_quantiles(o, one, SIZE_MAX), PM_ERR_INVALID_ARGUMENT,
          "PM_MAX_QUANTILES");
    FAILS(pm_metric_options_set_quantiles(o, room, PM_MAX_QUANTILES + 1),
          PM_ERR_INVALID_ARGUMENT, "`n` is 257");

    /* A histogram with the most buckets there may be works. */
    pm_registry *r = new_registry();
    pm_histogram *h = NULL;
    OK(pm_histogram_new(r, "c_many_buckets_seconds", "Many", o, &h));
    OK(pm_histogram_observe(h, 4000.5));
    pm_histogram_free(h);
    pm_metric_options_free(o);
    free(room);

    const char *names[] = {"a"};
    const char *values[] = {"x"};
    pm_counter_vec *cv = NULL;
    FAILS(pm_counter_vec_new(r, "c_absurd_total", "A", names, SIZE_MAX, NULL, &cv),
          PM_ERR_INVALID_ARGUMENT, "PM_MAX_LABELS");
    CHECK(cv == NULL);
    OK(pm_counter_vec_new(r, "c_absurd_total", "A", names, 1, NULL, &cv));
    pm_counter *c = (pm_counter *)1;
    FAILS(pm_counter_vec_inc(cv, values, SIZE_MAX, 1), PM_ERR_INVALID_ARGUMENT,
          "`n` is 18446744073709551615");
    FAILS(pm_counter_vec_with(cv, values, SIZE_MAX, &c), PM_ERR_INVALID_ARGUMENT, "at most 64");
    CHECK(c == NULL);
    FAILS(pm_counter_vec_with_labels(cv, names, values, SIZE_MAX, &c), PM_ERR_INVALID_ARGUMENT,
          "PM_MAX_LABELS");
    pm_gauge_vec *gv = NULL;
    pm_gauge *g = NULL;
    FAILS(pm_gauge_vec_new(r, "c_absurd_gauge", "A", names, SIZE_MAX, NULL, &gv),
          PM_ERR_INVALID_ARGUMENT, "PM_MAX_LABELS");
    OK(pm_gauge_vec_new(r, "c_absurd_gauge", "A", names, 1, NULL, &gv));
    FAILS(pm_gauge_vec_set(gv, values, SIZE_MAX, 1), PM_ERR_INVALID_ARGUMENT, "PM_MAX_LABELS");
    FAILS(pm_gauge_vec_add(gv, values, SIZE_MAX, 1), PM_ERR_INVALID_ARGUMENT, "PM_MAX_LABELS");
    FAILS(pm_gauge_vec_with(gv, values, SIZE_MAX, &g), PM_ERR_INVALID_ARGUMENT, "PM_MAX_LABELS");
    FAILS(pm_gauge_vec_with_labels(gv, names, values, SIZE_MAX, &g), PM_ERR_INVALID_ARGUMENT,
          "PM_MAX_LABELS");
    pm_histogram_vec *hv = NULL;
    FAILS(pm_histogram_vec_new(r, "c_absurd_seconds", "A", names, SIZE_MAX, NULL, &hv),
          PM_ERR_INVALID_ARGUMENT, "PM_MAX_LABELS");
    OK(pm_histogram_vec_new(r, "c_absurd_seconds", "A", names, 1, NULL, &hv));
    FAILS(pm_histogram_vec_observe(hv, values, SIZE_MAX, 1), PM_ERR_INVALID_ARGUMENT,
          "PM_MAX_LABELS");
    FAILS(pm_histogram_vec_with(hv, values, SIZE_MAX, &h), PM_ERR_INVALID_ARGUMENT,
          "PM_MAX_LABELS");
    FAILS(pm_histogram_vec_with_labels(hv, names, values, SIZE_MAX, &h),
          PM_ERR_INVALID_ARGUMENT, "PM_MAX_LABELS");
    pm_summary_vec *sv = NULL;
    pm_summary *s = NULL;
    FAILS(pm_summary_vec_new(r, "c_absurd_summary", "A", names, SIZE_MAX, NULL, &sv),
          PM_ERR_INVALID_ARGUMENT, "PM_MAX_LABELS");
    OK(pm_summary_vec_new(r, "c_absurd_summary", "A", names, 1, NULL, &sv));
    FAILS(pm_summary_vec_observe(sv, values, SIZE_MAX, 1), PM_ERR_INVALID_ARGUMENT,
          "PM_MAX_LABELS");
    FAILS(pm_summary_vec_with(sv, values, SIZE_MAX, &s), PM_ERR_INVALID_ARGUMENT,
          "PM_MAX_LABELS");
    FAILS(pm_summary_vec_with_labels(sv, names, values, SIZE_MAX, &s), PM_ERR_INVALID_ARGUMENT,
          "PM_MAX_LABELS");

    /* One label past the limit is refused as a count, before any name is read. */
    const char *many[PM_MAX_LABELS + 1];
    for (size_t i = 0; i <= PM_MAX_LABELS; i++) many[i] = "v";
    FAILS(pm_counter_vec_inc(cv, many, PM_MAX_LABELS + 1, 1), PM_ERR_INVALID_ARGUMENT,
          "`n` is 65");

    /* A buffer capacity above PTRDIFF_MAX cannot be real: refused, nothing written. */
    char buf[64] = "untouched";
    size_t needed = 0;
    FAILS(pm_registry_encode_text(r, buf, SIZE_MAX, &needed), PM_ERR_INVALID_ARGUMENT,
          "`cap` is 18446744073709551615");
    CHECK(strcmp(buf, "untouched") == 0);

    pm_counter_vec_free(cv);
    pm_gauge_vec_free(gv);
    pm_histogram_vec_free(hv);
    pm_summary_vec_free(sv);
    pm_registry_free(r);
    return 0;
}

static int test_handles_of_another_type_are_refused(void) {
    pm_registry *r = new_registry();
    pm_counter *c = NULL;
    OK(pm_counter_new(r, "c_typed_total", "T", NULL, &c));
    OK(pm_counter_inc(c, 2));
    /* The casts a careless caller makes through void *: each is caught by the handle's
     * tag, and the counter is left as it was. */
    void *any = c;
    FAILS(pm_gauge_set(any, 100), PM_ERR_INVALID_ARGUMENT, "`gauge` is a pm_counter");
    FAILS(pm_histogram_observe(any, 1), PM_ERR_INVALID_ARGUMENT, "not a pm_histogram");
    FAILS(pm_summary_observe(any, 1), PM_ERR_INVALID_ARGUMENT, "not a pm_summary");
    const char *values[] = {"x"};
    FAILS(pm_counter_vec_inc(any, values, 1, 1), PM_ERR_INVALID_ARGUMENT,
          "is a pm_counter, not a pm_counter_vec");
    pm_counter *none = NULL;
    FAILS(pm_counter_new(any, "c_typed2_total", "T", NULL, &none), PM_ERR_INVALID_ARGUMENT,
          "`registry` is a pm_counter");
    pm_stats st;
    st.size = sizeof st;
    FAILS(pm_pusher_stats(any, &st), PM_ERR_INVALID_ARGUMENT, "`pusher` is a pm_counter");
    FAILS(pm_metric_options_set_max_series((void *)r, 3), PM_ERR_INVALID_ARGUMENT,
          "`options` is a pm_registry");
    FAILS(pm_pusher_config_set_job((void *)r, "j"), PM_ERR_INVALID_ARGUMENT,
          "`config` is a pm_registry");
    FAILS(pm_counter_inc((void *)r, 1), PM_ERR_INVALID_ARGUMENT, "`counter` is a pm_registry");
    /* A pointer that never came from the library (its first word is no tag). */
    uint64_t junk[8] = {0};
    FAILS(pm_counter_inc((void *)junk, 1), PM_ERR_INVALID_ARGUMENT,
          "not a handle of this library");
    /* Freeing through the wrong function is refused and frees nothing. */
    pm_gauge_free(any);
    CHECK(strstr(pm_last_error_message(), "`gauge` is a pm_counter"));
    pm_registry_free(any);
    double v = 0;
    OK(pm_counter_get(c, &v));
    CHECK(v == 2);
    pm_counter_free(c);
    pm_registry_free(r);
    return 0;
}

static int test_handles_used_after_free_are_refused(void) {
    pm_registry *r = new_registry();
    pm_counter *c = NULL;
    OK(pm_counter_new(r, "c_freed_total", "F", NULL, &c));
    pm_counter_free(c);
    FAILS(pm_counter_inc(c, 1), PM_ERR_INVALID_ARGUMENT, "`counter` is a pm_counter that was freed");
    double v = 0;
    FAILS(pm_counter_get(c, &v), PM_ERR_INVALID_ARGUMENT, "was freed");
    /* A second free does nothing but say so. */
    pm_counter_free(c);
    CHECK(strstr(pm_last_error_message(), "`counter` is a pm_counter that was freed"));

    const char *names[] = {"k"};
    const char *values[] = {"v"};
    pm_gauge_vec *gv = NULL;
    OK(pm_gauge_vec_new(r, "c_freed_gauge", "F", names, 1, NULL, &gv));
    pm_gauge *g = NULL;
    OK(pm_gauge_vec_with(gv, values, 1, &g));
    pm_gauge_vec_free(gv);
    FAILS(pm_gauge_vec_set(gv, values, 1, 1), PM_ERR_INVALID_ARGUMENT, "pm_gauge_vec that was freed");
    /* The series handle outlives its vec, as documented. */
    OK(pm_gauge_set(g, 5));
    pm_gauge_free(g);
    FAILS(pm_gauge_inc(g), PM_ERR_INVALID_ARGUMENT, "pm_gauge that was freed");

    pm_metric_options *o = NULL;
    OK(pm_metric_options_new(&o));
    pm_metric_options_free(o);
    FAILS(pm_metric_options_set_max_series(o, 1), PM_ERR_INVALID_ARGUMENT,
          "pm_metric_options that was freed");
    pm_registry_options *ro = NULL;
    OK(pm_registry_options_new(&ro));
    pm_registry_options_free(ro);
    pm_registry *none = NULL;
    FAILS(pm_registry_new(ro, &none), PM_ERR_INVALID_ARGUMENT, "pm_registry_options that was freed");

    pm_pusher_config *cfg = gateway_config("c_freed");
    pm_pusher *p = NULL;
    OK(pm_pusher_start(cfg, r, &p));
    pm_pusher_config_free(cfg);
    FAILS(pm_pusher_config_set_job(cfg, "j"), PM_ERR_INVALID_ARGUMENT,
          "pm_pusher_config that was freed");
    OK(pm_pusher_shutdown(p, 5000));
    pm_pusher_free(p);
    FAILS(pm_pusher_flush(p, 10, NULL), PM_ERR_INVALID_ARGUMENT, "pm_pusher that was freed");
    bool down = false;
    FAILS(pm_pusher_is_shut_down(p, &down), PM_ERR_INVALID_ARGUMENT, "was freed");

    pm_registry_free(r);
    pm_counter *late = NULL;
    FAILS(pm_counter_new(r, "c_late_total", "L", NULL, &late), PM_ERR_INVALID_ARGUMENT,
          "`registry` is a pm_registry that was freed");
    CHECK(late == NULL);
    return 0;
}

static int test_versioned_structs_accept_their_first_version(void) {
    /* A caller built against the first header of each struct passes a size that ends with
     * its last field: it gets those fields and not one byte more. One byte less is refused
     * and the message names the size needed. A caller from the future (a bigger struct)
     * gets the fields this library knows, and their size back. */
    union {
        pm_receiver_stats rs;
        unsigned char bytes[sizeof(pm_receiver_stats) + 32];
    } rs;
    const size_t rs_v1 = offsetof(pm_receiver_stats, has_last_error) + sizeof(bool);
    pm_registry *r = new_registry();
    pm_pusher_config *c = NULL;
    OK(pm_pusher_config_new(&c));
    OK(pm_pusher_config_ignore_env(c));
    OK(pm_pusher_config_set_target(c, "remote_write"));
    OK(pm_pusher_config_set_url(c, "http://127.0.0.1:1/api/v1/write"));
    OK(pm_pusher_config_set_job(c, "c_versions"));
    OK(pm_pusher_config_set_interval_ms(c, 60000));
    OK(pm_pusher_config_set_shutdown_timeout_ms(c, 100));
    pm_pusher *p = NULL;
    OK(pm_pusher_start(c, r, &p));
    pm_pusher_config_free(c);
    memset(&rs, 0xab, sizeof rs);
    rs.rs.size = rs_v1;
    OK(pm_pusher_receiver_stats(p, 0, &rs.rs));
    CHECK(rs.rs.size == rs_v1 && rs.rs.requests == 0 && !rs.rs.has_last_error);
    for (size_t i = rs_v1; i < sizeof rs; i++) CHECK(rs.bytes[i] == 0xab);
    rs.rs.size = rs_v1 - 1;
    FAILS(pm_pusher_receiver_stats(p, 0, &rs.rs), PM_ERR_INVALID_ARGUMENT, "at least");
    char want[32];
    snprintf(want, sizeof want, "at least %zu", rs_v1);
    CHECK(strstr(pm_last_error_message(), want));
    rs.rs.size = sizeof rs;
    OK(pm_pusher_receiver_stats(p, 0, &rs.rs));
    CHECK(rs.rs.size == sizeof(pm_receiver_stats) && rs.bytes[sizeof(pm_receiver_stats)] == 0xab);

    /* pm_stats: the first version ended with has_last_error. */
    union {
        pm_stats s;
        unsigned char bytes[sizeof(pm_stats) + 32];
    } s;
    const size_t s_v1 = offsetof(pm_stats, has_last_error) + sizeof(bool);
    memset(&s, 0xab, sizeof s);
    s.s.size = s_v1;
    OK(pm_pusher_stats(p, &s.s));
    CHECK(s.s.size == s_v1 && s.s.pushes_ok == 0 && !s.s.has_last_error);
    for (size_t i = s_v1; i < sizeof s; i++) CHECK(s.bytes[i] == 0xab);
    s.s.size = sizeof s;
    OK(pm_pusher_stats(p, &s.s));
    CHECK(s.s.size == sizeof(pm_stats) && s.s.receivers == 1);
    pm_pusher_free(p);

    /* pm_guard_counts and pm_flush_report: their first versions are today's. */
    pm_counter *ctr = NULL;
    OK(pm_counter_new(r, "c_versions_total", "V", NULL, &ctr));
    pm_guard_counts g;
    g.size = offsetof(pm_guard_counts, sampled_kept) + sizeof(uint64_t);
    OK(pm_registry_guard_counts(r, "c_versions_total", &g));
    CHECK(g.series == 1);
    g.size -= 1;
    FAILS(pm_registry_guard_counts(r, "c_versions_total", &g), PM_ERR_INVALID_ARGUMENT, "size");
    pm_pusher_config *gw = gateway_config("c_versions");
    union {
        pm_flush_report f;
        unsigned char bytes[sizeof(pm_flush_report) + 32];
    } f;
    memset(&f, 0xab, sizeof f);
    f.f.size = sizeof f;
    OK(pm_pusher_config_push_once(gw, r, &f.f));
    CHECK(f.f.size == sizeof(pm_flush_report) && f.f.series == 1);
    CHECK(f.bytes[sizeof(pm_flush_report)] == 0xab);
    f.f.size = offsetof(pm_flush_report, duration_ms);
    FAILS(pm_pusher_config_push_once(gw, r, &f.f), PM_ERR_INVALID_ARGUMENT, "size");
    OK(pm_pusher_config_delete_once(gw));
    pm_pusher_config_free(gw);
    pm_counter_free(ctr);
    pm_registry_free(r);
    return 0;
}

static int test_every_status_is_marked_warn_unused_result(void) {
    /* The header marks each function that returns a pm_status, so GCC and Clang warn about
     * a caller that ignores one (tests/c/run.sh also compiles such a caller and expects
     * the warning). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 9
    CHECK(__builtin_has_attribute(pm_counter_inc, warn_unused_result));
    CHECK(__builtin_has_attribute(pm_registry_new, warn_unused_result));
    CHECK(__builtin_has_attribute(pm_pusher_flush, warn_unused_result));
    CHECK(__builtin_has_attribute(pm_set_log_callback, warn_unused_result));
    CHECK(!__builtin_has_attribute(pm_counter_free, warn_unused_result));
    CHECK(!__builtin_has_attribute(pm_last_error_message, warn_unused_result));
#endif
    return 0;
}

/* ---- pushing ---------------------------------------------------------------------- */

static int test_every_pusher_option_is_accepted_and_checked(void) {
    pm_registry *r = new_registry();
    pm_pusher_config *c = NULL;
    OK(pm_pusher_config_new(&c));
    OK(pm_pusher_config_ignore_env(c));
    OK(pm_pusher_config_set_url(c, pgw_url()));
    pm_pusher *p = (pm_pusher *)1;
    FAILS(pm_pusher_start(c, r, &p), PM_ERR_INVALID_CONFIG, "job");
    CHECK(p == NULL);
    OK(pm_pusher_config_set_job(c, "c_options"));
    OK(pm_pusher_config_add_grouping(c, "instance", "a/b"));
    OK(pm_pusher_config_set_method(c, "post"));
    OK(pm_pusher_config_set_format(c, "PROTOBUF"));
    OK(pm_pusher_config_set_gzip(c, true));
    OK(pm_pusher_config_set_interval_ms(c, 60000));
    OK(pm_pusher_config_set_jitter(c, 0));
    OK(pm_pusher_config_set_flush_deadline_ms(c, 3000));
    OK(pm_pusher_config_set_connect_timeout_ms(c, 1000));
    OK(pm_pusher_config_set_request_timeout_ms(c, 2000));
    OK(pm_pusher_config_set_max_attempts(c, 2));
    OK(pm_pusher_config_set_backoff_base_ms(c, 10));
    OK(pm_pusher_config_set_backoff_max_ms(c, 100));
    OK(pm_pusher_config_set_retry_budget(c, 0.5));
    OK(pm_pusher_config_set_breaker_threshold(c, 3));
    OK(pm_pusher_config_set_breaker_open_ms(c, 1000));
    OK(pm_pusher_config_set_max_body_bytes(c, 1 << 20));
    OK(pm_pusher_config_set_delete_on_shutdown(c, true));
    OK(pm_pusher_config_set_self_metrics(c, true));
    OK(pm_pusher_config_set_shutdown_timeout_ms(c, 2000));
    OK(pm_pusher_config_set_basic_auth(c, "user", "secret"));
    OK(pm_pusher_config_add_header(c, "X-Team", "data"));
    pm_gauge *g = NULL;
    OK(pm_gauge_new(r, "options_gauge", "G", NULL, &g));
    OK(pm_gauge_set(g, 3));
    OK(pm_pusher_start(c, r, &p));
    pm_flush_report rep;
    rep.size = sizeof rep;
    OK(pm_pusher_flush(p, 5000, &rep));
    CHECK(rep.size == sizeof rep && rep.requests >= 1 && rep.bytes > 0 && rep.series >= 1);
    char url[512];
    size_t needed = 0;
    OK(pm_pusher_url(p, url, sizeof url, &needed));
    CHECK(strstr(url, "/metrics/job@base64/") && !strstr(url, "secret"));
    const char *labels[] = {"job=\"c_options\"", "instance=\"a/b\"", NULL};
    double v = 0;
    CHECK(gateway_value("options_gauge", labels, &v) == 0 && v == 3);
    /* delete_on_shutdown removes the group (the gateway answers 202 and applies it just
       after). */
    OK(pm_pusher_shutdown(p, 5000));
    for (int i = 0; i < 150 && gateway_value("options_gauge", labels, &v) == 0; i++)
        usleep(20 * 1000);
    CHECK(gateway_value("options_gauge", labels, &v) != 0);
    pm_pusher_free(p);

    /* Every check happens at start and names the option. */
    OK(pm_pusher_config_set_jitter(c, 2));
    FAILS(pm_pusher_start(c, r, &p), PM_ERR_INVALID_CONFIG, "jitter");
    OK(pm_pusher_config_set_jitter(c, 0.1));
    OK(pm_pusher_config_set_max_body_bytes(c, 10));
    FAILS(pm_pusher_start(c, r, &p), PM_ERR_INVALID_CONFIG, "max_body_bytes");
    OK(pm_pusher_config_set_max_body_bytes(c, 4096));
    OK(pm_pusher_config_set_bearer_token(c, "token"));
    FAILS(pm_pusher_start(c, r, &p), PM_ERR_INVALID_CONFIG, "bearer_token");
    pm_pusher_config_free(c);
    c = gateway_config("c_options");
    OK(pm_pusher_config_set_client_cert(c, "/nonexistent/c.pem", "/nonexistent/k.pem"));
    FAILS(pm_pusher_start(c, r, &p), PM_ERR_IO, "/nonexistent/c.pem");
    pm_pusher_config_free(c);
    c = gateway_config("c_options");
    OK(pm_pusher_config_set_ca_file_only(c, true));
    FAILS(pm_pusher_start(c, r, &p), PM_ERR_INVALID_CONFIG, "ca_file_only");
    OK(pm_pusher_config_set_ca_file(c, "/nonexistent/ca.pem"));
    FAILS(pm_pusher_start(c, r, &p), PM_ERR_IO, "ca_file");
    FAILS(pm_pusher_config_set_method(c, "PATCH"), PM_ERR_INVALID_CONFIG, "PATCH");
    FAILS(pm_pusher_config_set_format(c, "json"), PM_ERR_INVALID_CONFIG, "json");
    OK(pm_pusher_config_set_url(c, "ftp://example"));
    FAILS(pm_pusher_start(c, r, &p), PM_ERR_INVALID_CONFIG, "scheme");
    pm_gauge_free(g);
    pm_pusher_config_free(c);
    pm_registry_free(r);
    return 0;
}

static int test_remote_write_options_are_checked_at_start(void) {
    pm_registry *r = new_registry();
    pm_pusher_config *c = NULL;
    OK(pm_pusher_config_new(&c));
    OK(pm_pusher_config_ignore_env(c));
    OK(pm_pusher_config_set_url(c, "http://127.0.0.1:1/api/v1/write"));
    OK(pm_pusher_config_set_job(c, "c_rw_options"));
    OK(pm_pusher_config_set_target(c, "Remote_Write"));
    OK(pm_pusher_config_add_url(c, "http://127.0.0.1:2/api/v1/write"));
    OK(pm_pusher_config_set_staleness_markers(c, false));
    FAILS(pm_pusher_config_set_target(c, "graphite"), PM_ERR_INVALID_CONFIG, "\"graphite\"");
    FAILS(pm_pusher_config_set_target(c, NULL), PM_ERR_INVALID_ARGUMENT, "`target`");
    FAILS(pm_pusher_config_set_target(c, "remote\xff"), PM_ERR_INVALID_ARGUMENT,
          "`target` is not valid UTF-8");
    FAILS(pm_pusher_config_set_target(NULL, "remote_write"), PM_ERR_INVALID_ARGUMENT,
          "`config`");
    FAILS(pm_pusher_config_add_url(c, NULL), PM_ERR_INVALID_ARGUMENT, "`url`");
    FAILS(pm_pusher_config_add_url(c, "http://\xc3"), PM_ERR_INVALID_ARGUMENT, "`url`");
    FAILS(pm_pusher_config_add_url(NULL, "http://x"), PM_ERR_INVALID_ARGUMENT, "`config`");
    FAILS(pm_pusher_config_set_max_samples_per_send(NULL, 1), PM_ERR_INVALID_ARGUMENT,
          "`config`");
    FAILS(pm_pusher_config_set_max_in_flight(NULL, 1), PM_ERR_INVALID_ARGUMENT, "`config`");
    FAILS(pm_pusher_config_set_max_pending_samples(NULL, 1), PM_ERR_INVALID_ARGUMENT,
          "`config`");
    FAILS(pm_pusher_config_set_staleness_markers(NULL, true), PM_ERR_INVALID_ARGUMENT,
          "`config`");

    /* Setters only record; each bound is checked at start and named there. */
    pm_pusher *p = (pm_pusher *)1;
    OK(pm_pusher_config_set_max_samples_per_send(c, 0));
    FAILS(pm_pusher_start(c, r, &p), PM_ERR_INVALID_CONFIG, "max_samples_per_send 0");
    CHECK(p == NULL);
    OK(pm_pusher_config_set_max_samples_per_send(c, 500));
    OK(pm_pusher_config_set_max_in_flight(c, 0));
    FAILS(pm_pusher_start(c, r, &p), PM_ERR_INVALID_CONFIG, "max_in_flight 0");
    OK(pm_pusher_config_set_max_in_flight(c, 65));
    FAILS(pm_pusher_start(c, r, &p), PM_ERR_INVALID_CONFIG, "max_in_flight 65");
    OK(pm_pusher_config_set_max_in_flight(c, 2));
    OK(pm_pusher_config_set_max_pending_samples(c, 0));
    FAILS(pm_pusher_start(c, r, &p), PM_ERR_INVALID_CONFIG, "max_pending_samples 0");
    OK(pm_pusher_config_set_max_pending_samples(c, 10000));
    /* Setting the URL again keeps the added receiver, which a Pushgateway cannot take. */
    OK(pm_pusher_config_set_url(c, "http://127.0.0.1:3/api/v1/write"));
    OK(pm_pusher_config_set_target(c, "pushgateway"));
    FAILS(pm_pusher_start(c, r, &p), PM_ERR_INVALID_CONFIG, "need target remote_write");
    CHECK(strstr(pm_last_error_message(), "127.0.0.1:2"));
    pm_pusher_config_free(c);

    /* A Pushgateway pusher has no receivers, and a caller built against the shorter
     * pm_stats of an older header still gets its fields, and nothing beyond them. */
    c = gateway_config("c_rw_options");
    OK(pm_pusher_start(c, r, &p));
    pm_stats s;
    memset(&s, 0xff, sizeof s);
    s.size = offsetof(pm_stats, samples_sent);
    OK(pm_pusher_stats(p, &s));
    CHECK(s.size == offsetof(pm_stats, samples_sent) && s.pushes_failed == 0);
    CHECK(s.samples_sent == UINT64_MAX && s.receivers == SIZE_MAX);
    s.size = offsetof(pm_stats, has_last_error);
    FAILS(pm_pusher_stats(p, &s), PM_ERR_INVALID_ARGUMENT, "size");
    s.size = sizeof s;
    OK(pm_pusher_stats(p, &s));
    CHECK(s.size == sizeof s && s.receivers == 0 && s.samples_sent == 0);
    CHECK(s.samples_dropped == 0 && s.samples_rejected == 0 && s.samples_pending == 0);
    pm_receiver_stats rs;
    rs.size = sizeof rs;
    FAILS(pm_pusher_receiver_stats(p, 0, &rs), PM_ERR_INVALID_ARGUMENT, "index 0");
    CHECK(strstr(pm_last_error_message(), "has 0 receiver"));
    char text[64];
    size_t needed = 0;
    FAILS(pm_pusher_receiver_url(p, 0, text, sizeof text, &needed), PM_ERR_INVALID_ARGUMENT,
          "index 0");
    FAILS(pm_pusher_receiver_last_error(p, 0, text, sizeof text, &needed),
          PM_ERR_INVALID_ARGUMENT, "index 0");
    FAILS(pm_pusher_receiver_stats(NULL, 0, &rs), PM_ERR_INVALID_ARGUMENT, "`pusher`");
    FAILS(pm_pusher_receiver_url(NULL, 0, text, sizeof text, &needed), PM_ERR_INVALID_ARGUMENT,
          "`pusher`");
    OK(pm_pusher_shutdown(p, 5000));
    pm_pusher_free(p);
    pm_pusher_config_free(c);
    pm_registry_free(r);
    return 0;
}

struct worker {
    pm_counter *held;
    pm_counter_vec *vec;
    pm_histogram *hist;
    int id;
    int failures;
};

enum { THREADS = 4, PER_THREAD = 20000 };

static void *record(void *arg) {
    struct worker *w = arg;
    const char *values[] = {w->id % 2 ? "odd" : "even"};
    for (int i = 0; i < PER_THREAD; i++) {
        w->failures += pm_counter_inc(w->held, 1) != PM_OK;
        w->failures += pm_counter_vec_inc(w->vec, values, 1, 1) != PM_OK;
        w->failures += pm_histogram_observe(w->hist, (double)(i % 4)) != PM_OK;
    }
    return NULL;
}

static int test_threads_record_while_the_pusher_pushes(void) {
    pm_registry *r = new_registry();
    pm_counter *held = NULL;
    pm_counter_vec *vec = NULL;
    pm_histogram *hist = NULL;
    OK(pm_counter_new(r, "c_threads_total", "Calls", NULL, &held));
    const char *names[] = {"parity"};
    OK(pm_counter_vec_new(r, "c_threads_parity_total", "By parity", names, 1, NULL, &vec));
    pm_metric_options *o = NULL;
    OK(pm_metric_options_new(&o));
    double b[] = {0.5, 1.5, 2.5};
    OK(pm_metric_options_set_buckets(o, b, 3));
    OK(pm_histogram_new(r, "c_threads_values", "Values", o, &hist));
    pm_metric_options_free(o);

    pm_pusher_config *c = gateway_config("c_test_threads");
    /* Scheduled pushes run while the threads record; the explicit deadline leaves room
     * for a slow run (valgrind). */
    OK(pm_pusher_config_set_interval_ms(c, 100));
    OK(pm_pusher_config_set_flush_deadline_ms(c, 5000));
    OK(pm_pusher_config_set_jitter(c, 0));
    OK(pm_pusher_config_add_grouping(c, "instance", "t1"));
    pm_pusher *p = NULL;
    OK(pm_pusher_start(c, r, &p));
    pm_pusher_config_free(c); /* not consumed: the pusher keeps its own copy */

    pthread_t t[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){held, vec, hist, i, 0};
        CHECK(pthread_create(&t[i], NULL, record, &w[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK(w[i].failures == 0);
    }
    OK(pm_pusher_flush(p, 5000, NULL));
    bool healthy = false;
    OK(pm_pusher_healthy(p, &healthy));
    CHECK(healthy);
    pm_stats s;
    s.size = sizeof s;
    OK(pm_pusher_stats(p, &s));
    CHECK(s.size == sizeof s && s.pushes_ok >= 1 && s.pushes_failed == 0);
    CHECK(s.last_success_unix_ms > 0 && s.last_push_duration_ms >= 0);
    CHECK(s.breaker == PM_BREAKER_CLOSED && !s.has_last_error && s.series == 4);
    char err[8];
    size_t needed = 0;
    OK(pm_pusher_last_error(p, err, sizeof err, &needed));
    CHECK(needed == 1 && err[0] == '\0');

    const char *grp[] = {"job=\"c_test_threads\"", "instance=\"t1\"", NULL};
    const char *even[] = {"job=\"c_test_threads\"", "parity=\"even\"", NULL};
    const char *le15[] = {"job=\"c_test_threads\"", "le=\"1.5\"", NULL};
    double v = 0;
    CHECK(gateway_value("c_threads_total", grp, &v) == 0);
    CHECK(v == THREADS * PER_THREAD);
    CHECK(gateway_value("c_threads_parity_total", even, &v) == 0);
    CHECK(v == THREADS / 2 * PER_THREAD);
    CHECK(gateway_value("c_threads_values_bucket", le15, &v) == 0);
    CHECK(v == THREADS * PER_THREAD / 2);
    CHECK(gateway_value("c_threads_values_count", grp, &v) == 0);
    CHECK(v == THREADS * PER_THREAD);

    OK(pm_pusher_shutdown(p, 5000));
    pm_pusher_free(p);
    pm_counter_free(held);
    pm_counter_vec_free(vec);
    pm_histogram_free(hist);
    pm_registry_free(r);
    return 0;
}

static int test_shutdown_is_idempotent_and_later_flushes_fail(void) {
    pm_registry *r = new_registry();
    pm_counter *c = NULL;
    OK(pm_counter_new(r, "c_shutdown_total", "S", NULL, &c));
    OK(pm_counter_inc(c, 7));
    pm_pusher_config *cfg = gateway_config("c_test_shutdown");
    pm_pusher *p = NULL;
    OK(pm_pusher_start(cfg, r, &p));
    bool down = true;
    OK(pm_pusher_is_shut_down(p, &down));
    CHECK(!down);
    /* The final push at shutdown delivers what was recorded. */
    OK(pm_pusher_shutdown(p, 5000));
    const char *grp[] = {"job=\"c_test_shutdown\"", NULL};
    double v = 0;
    CHECK(gateway_value("c_shutdown_total", grp, &v) == 0 && v == 7);
    OK(pm_pusher_shutdown(p, 5000));
    OK(pm_pusher_is_shut_down(p, &down));
    CHECK(down);
    FAILS(pm_pusher_flush(p, 1000, NULL), PM_ERR_SHUT_DOWN, "shut down");
    pm_stats s;
    s.size = sizeof s;
    OK(pm_pusher_stats(p, &s));
    CHECK(s.pushes_ok >= 1);
    /* Recording after shutdown still works; it is just not pushed. */
    OK(pm_counter_inc(c, 1));
    pm_pusher_free(p);
    pm_pusher_config_free(cfg);
    pm_counter_free(c);
    pm_registry_free(r);
    return 0;
}

static int test_free_without_shutdown_makes_the_final_push(void) {
    pm_registry *r = new_registry();
    pm_gauge *g = NULL;
    OK(pm_gauge_new(r, "c_free_gauge", "G", NULL, &g));
    OK(pm_gauge_set(g, 42));
    pm_pusher_config *cfg = gateway_config("c_test_free");
    OK(pm_pusher_config_set_shutdown_timeout_ms(cfg, 3000));
    pm_pusher *p = NULL;
    OK(pm_pusher_start(cfg, r, &p));
    pm_pusher_free(p);
    const char *grp[] = {"job=\"c_test_free\"", NULL};
    double v = 0;
    CHECK(gateway_value("c_free_gauge", grp, &v) == 0 && v == 42);
    pm_pusher_config_free(cfg);
    pm_gauge_free(g);
    pm_registry_free(r);
    return 0;
}

struct log_seen {
    pthread_mutex_t lock;
    int records;
    int warnings_from_core;
};

static void on_log(pm_log_level level, const char *target, const char *message, void *user) {
    struct log_seen *seen = user;
    pthread_mutex_lock(&seen->lock);
    seen->records++;
    if (level <= PM_LOG_WARN && strcmp(target, "pushmetrics") == 0 && strlen(message) > 0)
        seen->warnings_from_core++;
    pthread_mutex_unlock(&seen->lock);
}

static int test_push_failures_are_reported_and_logged(void) {
    struct log_seen seen = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
    OK(pm_set_log_callback(on_log, &seen, PM_LOG_WARN));
    pm_registry *r = new_registry();
    pm_counter *c = NULL;
    OK(pm_counter_new(r, "c_unreachable_total", "U", NULL, &c));
    pm_pusher_config *cfg = NULL;
    OK(pm_pusher_config_new(&cfg));
    OK(pm_pusher_config_ignore_env(cfg));
    OK(pm_pusher_config_set_url(cfg, "http://127.0.0.1:1"));
    OK(pm_pusher_config_set_job(cfg, "c_unreachable"));
    OK(pm_pusher_config_set_interval_ms(cfg, 60000));
    OK(pm_pusher_config_set_max_attempts(cfg, 1));
    OK(pm_pusher_config_set_connect_timeout_ms(cfg, 500));
    pm_pusher *p = NULL;
    OK(pm_pusher_start(cfg, r, &p));
    FAILS(pm_pusher_flush(p, 5000, NULL), PM_ERR_PUSH, "push failed");
    pm_stats s;
    s.size = sizeof s;
    OK(pm_pusher_stats(p, &s));
    CHECK(s.pushes_failed >= 1 && s.consecutive_failures >= 1 && s.has_last_error);
    CHECK(s.last_success_unix_ms == -1);
    size_t needed = 0;
    char tiny[2];
    FAILS(pm_pusher_last_error(p, tiny, sizeof tiny, &needed), PM_ERR_BUFFER_TOO_SMALL, "needed");
    char *msg = malloc(needed);
    OK(pm_pusher_last_error(p, msg, needed, &needed));
    CHECK(strlen(msg) + 1 == needed && strlen(msg) > 0);
    free(msg);
    FAILS(pm_pusher_config_push_once(cfg, r, NULL), PM_ERR_PUSH, "push failed");
    /* The final push fails too, but shutdown still stops and joins the thread. */
    pm_status st = pm_pusher_shutdown(p, 2000);
    CHECK(st == PM_ERR_PUSH || st == PM_OK);
    pm_pusher_free(p);
    OK(pm_set_log_callback(NULL, NULL, PM_LOG_WARN));
    pthread_mutex_lock(&seen.lock);
    int warnings = seen.warnings_from_core;
    pthread_mutex_unlock(&seen.lock);
    CHECK(warnings >= 1);
    pm_pusher_config_free(cfg);
    pm_counter_free(c);
    pm_registry_free(r);
    return 0;
}

/* What a counting log callback saw of "push failed" records. */
struct failed_seen {
    pthread_mutex_t lock;
    int push_failed;
    int noted;
};

static void count_push_failed(pm_log_level level, const char *target, const char *message,
                              void *user) {
    (void)level;
    (void)target;
    struct failed_seen *seen = user;
    pthread_mutex_lock(&seen->lock);
    if (strncmp(message, "push failed", 11) == 0) seen->push_failed++;
    if (strstr(message, "similar messages suppressed") != NULL) seen->noted++;
    pthread_mutex_unlock(&seen->lock);
}

/* Five identical push failures in a row reach the callback once: repeats are held back. */
static int test_log_callback_repeats_are_rate_limited(void) {
    struct failed_seen seen = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
    OK(pm_set_log_callback(count_push_failed, &seen, PM_LOG_WARN));
    pm_registry *r = new_registry();
    pm_pusher_config *cfg = NULL;
    OK(pm_pusher_config_new(&cfg));
    OK(pm_pusher_config_ignore_env(cfg));
    OK(pm_pusher_config_set_url(cfg, "http://127.0.0.1:1"));
    OK(pm_pusher_config_set_job(cfg, "c_log_limit"));
    OK(pm_pusher_config_set_interval_ms(cfg, 60000));
    OK(pm_pusher_config_set_max_attempts(cfg, 1));
    OK(pm_pusher_config_set_breaker_threshold(cfg, 100));
    pm_pusher *p = NULL;
    OK(pm_pusher_start(cfg, r, &p));
    for (int i = 0; i < 5; i++) FAILS(pm_pusher_flush(p, 5000, NULL), PM_ERR_PUSH, "push failed");
    pm_status st = pm_pusher_shutdown(p, 2000);
    CHECK(st == PM_ERR_PUSH || st == PM_OK);
    pm_pusher_free(p);
    OK(pm_set_log_callback(NULL, NULL, PM_LOG_WARN));
    pthread_mutex_lock(&seen.lock);
    int failed = seen.push_failed, noted = seen.noted;
    pthread_mutex_unlock(&seen.lock);
    CHECK(failed == 1);
    CHECK(noted == 0);
    pm_pusher_config_free(cfg);
    pm_registry_free(r);
    return 0;
}

/* What the re-entrant log callback did: it calls back into the library on each record. */
struct reentry {
    pthread_mutex_t lock;
    pm_pusher *pusher;
    int records;
    int stats_read;
    int reinstalled;
    int failures;
};

static void log_and_call_back(pm_log_level level, const char *target, const char *message,
                              void *user) {
    (void)level, (void)target, (void)message;
    struct reentry *re = user;
    pthread_mutex_lock(&re->lock);
    pm_pusher *p = re->pusher;
    re->records++;
    pthread_mutex_unlock(&re->lock);
    int stats_read = 0, failures = 0;
    if (p) {
        pm_stats s;
        s.size = sizeof s;
        if (pm_pusher_stats(p, &s) == PM_OK) stats_read = 1;
        else failures++;
        if (s.receivers > 0) {
            pm_receiver_stats rs;
            rs.size = sizeof rs;
            failures += pm_pusher_receiver_stats(p, 0, &rs) != PM_OK;
        }
    }
    /* Installing the same callback again from inside it. */
    int reinstalled = pm_set_log_callback(log_and_call_back, user, PM_LOG_WARN) == PM_OK;
    failures += !reinstalled;
    pthread_mutex_lock(&re->lock);
    re->stats_read += stats_read;
    re->reinstalled += reinstalled;
    re->failures += failures;
    pthread_mutex_unlock(&re->lock);
}

/* Pushes to unreachable targets, so that the library logs while the callback above calls
 * back into it: from the calling thread (push_once), the push thread (a Pushgateway
 * pusher) and a remote-write lane thread. */
static void *log_reentry_scenario(void *arg) {
    struct reentry *re = arg;
    intptr_t bad = 0;
    pm_registry *r = new_registry();
    pm_counter *c = NULL;
    bad |= pm_counter_new(r, "c_reentry_total", "R", NULL, &c) != PM_OK;
    bad |= pm_counter_inc(c, 1) != PM_OK;
    for (int target = 0; target < 2; target++) {
        pm_pusher_config *cfg = NULL;
        bad |= pm_pusher_config_new(&cfg) != PM_OK;
        bad |= pm_pusher_config_ignore_env(cfg) != PM_OK;
        bad |= pm_pusher_config_set_job(cfg, "c_reentry") != PM_OK;
        bad |= pm_pusher_config_set_interval_ms(cfg, 60000) != PM_OK;
        bad |= pm_pusher_config_set_max_attempts(cfg, 1) != PM_OK;
        bad |= pm_pusher_config_set_connect_timeout_ms(cfg, 500) != PM_OK;
        bad |= pm_pusher_config_set_flush_deadline_ms(cfg, 1000) != PM_OK;
        bad |= pm_pusher_config_set_shutdown_timeout_ms(cfg, 500) != PM_OK;
        if (target == 0) {
            bad |= pm_pusher_config_set_url(cfg, "http://127.0.0.1:1") != PM_OK;
            bad |= pm_pusher_config_push_once(cfg, r, NULL) != PM_ERR_PUSH;
        } else {
            bad |= pm_pusher_config_set_target(cfg, "remote_write") != PM_OK;
            bad |= pm_pusher_config_set_url(cfg, "http://127.0.0.1:1/api/v1/write") != PM_OK;
        }
        pm_pusher *p = NULL;
        bad |= pm_pusher_start(cfg, r, &p) != PM_OK;
        pthread_mutex_lock(&re->lock);
        re->pusher = p;
        pthread_mutex_unlock(&re->lock);
        pm_status st = pm_pusher_flush(p, 3000, NULL);
        bad |= st != PM_ERR_PUSH && st != PM_ERR_TIMEOUT;
        st = pm_pusher_shutdown(p, 2000);
        bad |= st != PM_OK && st != PM_ERR_PUSH && st != PM_ERR_TIMEOUT;
        /* No record may reach the callback with a pusher about to be freed. */
        bad |= pm_set_log_callback(log_and_call_back, re, PM_LOG_WARN) != PM_OK;
        pthread_mutex_lock(&re->lock);
        re->pusher = NULL;
        pthread_mutex_unlock(&re->lock);
        pm_pusher_free(p);
        pm_pusher_config_free(cfg);
    }
    bad |= pm_set_log_callback(NULL, NULL, PM_LOG_WARN) != PM_OK;
    pm_counter_free(c);
    pm_registry_free(r);
    return (void *)bad;
}

static int test_log_callback_may_call_back_into_the_library(void) {
    struct reentry re = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0, 0};
    OK(pm_set_log_callback(log_and_call_back, &re, PM_LOG_WARN));
    pthread_t t;
    CHECK(pthread_create(&t, NULL, log_reentry_scenario, &re) == 0);
    /* Before the callback ran without a library lock held, the first record deadlocked:
     * give up after a generous bound rather than hang the suite. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    void *bad = NULL;
    if (pthread_timedjoin_np(t, &bad, &until) != 0) {
        fprintf(stderr, "  the log callback deadlocked calling back into the library\n");
        printf("FAIL log_callback_may_call_back_into_the_library\n");
        fflush(stdout);
        _exit(1);
    }
    CHECK(bad == NULL);
    pthread_mutex_lock(&re.lock);
    int records = re.records, stats_read = re.stats_read, reinstalled = re.reinstalled;
    int failures = re.failures;
    pthread_mutex_unlock(&re.lock);
    CHECK(failures == 0);
    CHECK(records >= 2 && reinstalled == records && stats_read >= 2);
    return 0;
}

static void *flush_slowly(void *pusher) {
    return (void *)(intptr_t)pm_pusher_flush(pusher, 5000, NULL);
}

static int test_flush_times_out_on_a_silent_gateway(void) {
    /* A socket that accepts connections (the kernel's backlog) but never answers. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0);
    CHECK(listen(fd, 16) == 0);
    socklen_t len = sizeof addr;
    CHECK(getsockname(fd, (struct sockaddr *)&addr, &len) == 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(addr.sin_port));

    pm_registry *r = new_registry();
    pm_pusher_config *cfg = NULL;
    OK(pm_pusher_config_new(&cfg));
    OK(pm_pusher_config_ignore_env(cfg));
    OK(pm_pusher_config_set_url(cfg, url));
    OK(pm_pusher_config_set_job(cfg, "c_silent"));
    OK(pm_pusher_config_set_interval_ms(cfg, 60000));
    OK(pm_pusher_config_set_request_timeout_ms(cfg, 600));
    OK(pm_pusher_config_set_flush_deadline_ms(cfg, 800));
    OK(pm_pusher_config_set_max_attempts(cfg, 1));
    pm_pusher *p = NULL;
    OK(pm_pusher_start(cfg, r, &p));
    /* A first flush keeps the push thread waiting on the silent socket, so the second one
     * cannot be answered within its 100 ms. */
    pthread_t busy;
    CHECK(pthread_create(&busy, NULL, flush_slowly, p) == 0);
    usleep(100 * 1000);
    FAILS(pm_pusher_flush(p, 100, NULL), PM_ERR_TIMEOUT, "did not finish");
    void *first = NULL;
    pthread_join(busy, &first);
    CHECK((pm_status)(intptr_t)first == PM_ERR_PUSH);
    /* The worker gives up by its own deadline; shutdown then joins it. */
    pm_status st = pm_pusher_shutdown(p, 3000);
    CHECK(st == PM_OK || st == PM_ERR_PUSH);
    pm_pusher_free(p);
    pm_pusher_config_free(cfg);
    pm_registry_free(r);
    close(fd);
    return 0;
}

static int test_push_once_and_delete_once(void) {
    pm_registry *r = new_registry();
    pm_counter *c = NULL;
    OK(pm_counter_new(r, "c_once_total", "Once", NULL, &c));
    OK(pm_counter_inc(c, 11));
    pm_pusher_config *cfg = gateway_config("c_test_once");
    pm_flush_report rep;
    rep.size = sizeof rep;
    OK(pm_pusher_config_push_once(cfg, r, &rep));
    CHECK(rep.requests == 1 && rep.series == 1 && rep.duration_ms >= 0);
    const char *grp[] = {"job=\"c_test_once\"", NULL};
    double v = 0;
    CHECK(gateway_value("c_once_total", grp, &v) == 0 && v == 11);
    OK(pm_pusher_config_delete_once(cfg));
    CHECK(gateway_value("c_once_total", grp, &v) != 0);
    FAILS(pm_pusher_config_delete_once(NULL), PM_ERR_INVALID_ARGUMENT, "`config`");
    pm_pusher_config_free(cfg);
    pm_counter_free(c);
    pm_registry_free(r);
    return 0;
}

static int test_remote_write_reaches_prometheus_and_victoria_metrics(void) {
    const char *prom = getenv("PROM_URL"), *vm = getenv("VM_URL");
    if (!prom || !vm) {
        fprintf(stderr, "  PROM_URL and VM_URL must point at the receivers "
                        "(eval \"$(tests/receivers.sh start)\")\n");
        return 1;
    }
    pm_registry *r = new_registry();
    const char *names[] = {"color"};
    const char *blue[] = {"blue"};
    pm_counter_vec *cv = NULL;
    OK(pm_counter_vec_new(r, "c_rw_total", "Remote-written", names, 1, NULL, &cv));
    OK(pm_counter_vec_inc(cv, blue, 1, 42));
    pm_metric_options *o = NULL;
    OK(pm_metric_options_new(&o));
    double bounds[] = {1, 2};
    OK(pm_metric_options_set_buckets(o, bounds, 2));
    pm_histogram *h = NULL;
    OK(pm_histogram_new(r, "c_rw_seconds", "Remote-written", o, &h));
    pm_metric_options_free(o);
    OK(pm_histogram_observe(h, 0.5));
    OK(pm_histogram_observe(h, 1.5));
    OK(pm_histogram_observe(h, 3));

    char job[64], prom_write[256], vm_write[256];
    snprintf(job, sizeof job, "c_rw_%d", (int)getpid());
    snprintf(prom_write, sizeof prom_write, "%s/api/v1/write", prom);
    snprintf(vm_write, sizeof vm_write, "%s/api/v1/write", vm);
    pm_pusher_config *c = NULL;
    OK(pm_pusher_config_new(&c));
    OK(pm_pusher_config_ignore_env(c));
    OK(pm_pusher_config_set_target(c, "remote_write"));
    OK(pm_pusher_config_add_url(c, vm_write));
    OK(pm_pusher_config_set_url(c, prom_write));
    OK(pm_pusher_config_set_job(c, job));
    OK(pm_pusher_config_add_grouping(c, "instance", "c1"));
    OK(pm_pusher_config_set_interval_ms(c, 60000));
    OK(pm_pusher_config_set_flush_deadline_ms(c, 5000));
    OK(pm_pusher_config_set_self_metrics(c, false));
    OK(pm_pusher_config_set_max_samples_per_send(c, 4));
    OK(pm_pusher_config_set_max_in_flight(c, 2));
    OK(pm_pusher_config_set_max_pending_samples(c, 10000));
    OK(pm_pusher_config_set_staleness_markers(c, true));
    pm_pusher *p = NULL;
    OK(pm_pusher_start(c, r, &p));
    pm_pusher_config_free(c);
    OK(pm_pusher_flush(p, 5000, NULL));
    /* The staleness markers written at shutdown end the series; the values stay visible
     * at a time before it. */
    double before_shutdown = unix_now();

    pm_stats s;
    s.size = sizeof s;
    OK(pm_pusher_stats(p, &s));
    CHECK(s.pushes_ok >= 1 && s.pushes_failed == 0 && !s.has_last_error);
    CHECK(s.receivers == 2 && s.samples_sent > 0);
    CHECK(s.samples_dropped == 0 && s.samples_rejected == 0 && s.samples_pending == 0);
    uint64_t sent = 0;
    const char *urls[] = {prom_write, vm_write};
    for (size_t i = 0; i < 2; i++) {
        pm_receiver_stats rs;
        memset(&rs, 0, sizeof rs);
        rs.size = sizeof rs;
        OK(pm_pusher_receiver_stats(p, i, &rs));
        CHECK(rs.size == sizeof rs && rs.requests >= 1 && rs.samples_sent > 0);
        CHECK(rs.bytes_sent > 0 && rs.last_success_unix_ms > 0 && rs.consecutive_failures == 0);
        CHECK(rs.breaker == PM_BREAKER_CLOSED && !rs.has_last_error);
        sent += rs.samples_sent;
        char text[256];
        size_t needed = 0;
        OK(pm_pusher_receiver_url(p, i, text, sizeof text, &needed));
        CHECK(strcmp(text, urls[i]) == 0 && needed == strlen(text) + 1);
        OK(pm_pusher_receiver_last_error(p, i, text, sizeof text, &needed));
        CHECK(needed == 1 && text[0] == '\0');
    }
    CHECK(sent == s.samples_sent);
    pm_receiver_stats none;
    none.size = sizeof none;
    FAILS(pm_pusher_receiver_stats(p, 2, &none), PM_ERR_INVALID_ARGUMENT, "index 2");
    CHECK(strstr(pm_last_error_message(), "has 2 receiver"));
    OK(pm_pusher_shutdown(p, 5000));
    pm_pusher_free(p);

    char query[256], job_label[96];
    snprintf(job_label, sizeof job_label, "\"job\":\"%s\"", job);
    const char *labels[] = {job_label, "\"instance\":\"c1\"", "\"color\":\"blue\"", NULL};
    const char *group[] = {job_label, "\"instance\":\"c1\"", NULL};
    double v = 0;
    snprintf(query, sizeof query, "c_rw_total{job=\"%s\"}", job);
    CHECK(prometheus_value(query, before_shutdown, labels, &v) == 0 && v == 42);
    snprintf(query, sizeof query, "c_rw_seconds_count{job=\"%s\"}", job);
    CHECK(prometheus_value(query, before_shutdown, group, &v) == 0 && v == 3);
    snprintf(query, sizeof query, "c_rw_seconds_sum{job=\"%s\"}", job);
    CHECK(prometheus_value(query, before_shutdown, group, &v) == 0 && v == 5);
    snprintf(query, sizeof query, "c_rw_seconds_bucket{job=\"%s\",le=~\"2|2[.]0\"}", job);
    CHECK(prometheus_value(query, before_shutdown, group, &v) == 0 && v == 2);
    snprintf(query, sizeof query, "c_rw_total{job=\"%s\"}", job);
    char *after_shutdown = prometheus_query(query, unix_now());
    CHECK(after_shutdown && strstr(after_shutdown, "\"result\":[]"));
    free(after_shutdown);

    snprintf(query, sizeof query, "c_rw_total{job=\"%s\"}", job);
    CHECK(victoria_first_value(query, labels, &v) == 0 && v == 42);

    pm_counter_vec_free(cv);
    pm_histogram_free(h);
    pm_registry_free(r);
    return 0;
}

static int test_forked_child_pushes_its_own_group(void) {
    pm_registry *r = new_registry();
    pm_counter *c = NULL;
    pm_gauge *g = NULL;
    OK(pm_counter_new(r, "c_fork_total", "Fork", NULL, &c));
    OK(pm_gauge_new(r, "c_fork_gauge", "Fork gauge", NULL, &g));
    OK(pm_counter_inc(c, 5));
    OK(pm_gauge_set(g, 9));
    pm_pusher_config *cfg = gateway_config("c_test_fork");
    pm_pusher *p = NULL;
    OK(pm_pusher_start(cfg, r, &p));
    pm_pusher_config_free(cfg);
    OK(pm_pusher_flush(p, 5000, NULL));

    /* The child reports through a pipe rather than its exit status: under valgrind the
     * child's exit status counts the parent's push-thread state as leaked (that thread does
     * not exist in the child, so nothing there can reach its memory). */
    int report[2];
    CHECK(pipe(report) == 0);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* The child: counters restart at 0, gauges keep their value, and the pusher has a
         * thread of its own that pushes to the group with pid=<child pid>. */
        double v = -1;
        int bad = pm_counter_get(c, &v) != PM_OK || v != 0;
        bad |= pm_gauge_get(g, &v) != PM_OK || v != 9;
        for (int i = 0; i < 3; i++) bad |= pm_counter_inc(c, 1) != PM_OK;
        bad |= pm_pusher_flush(p, 5000, NULL) != PM_OK;
        bad |= pm_counter_inc(c, 1) != PM_OK;
        bad |= pm_pusher_shutdown(p, 5000) != PM_OK;
        if (bad) fprintf(stderr, "  child failed: %s\n", pm_last_error_message());
        char verdict = bad ? 'F' : 'K';
        bad |= write(report[1], &verdict, 1) != 1;
        pm_pusher_free(p);
        pm_counter_free(c);
        pm_gauge_free(g);
        pm_registry_free(r);
        /* _exit: the child inherited the parent's whole heap; leak checks belong to the
         * parent. */
        _exit(bad);
    }
    close(report[1]);
    char verdict = 0;
    CHECK(read(report[0], &verdict, 1) == 1);
    close(report[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
    CHECK(verdict == 'K');
    char pid_label[64];
    snprintf(pid_label, sizeof pid_label, "pid=\"%d\"", (int)pid);
    const char *child[] = {"job=\"c_test_fork\"", pid_label, NULL};
    double v = 0;
    CHECK(gateway_value("c_fork_total", child, &v) == 0 && v == 4);
    CHECK(gateway_value("c_fork_gauge", child, &v) == 0 && v == 9);
    /* The parent goes on with its own numbers in its own group. */
    OK(pm_counter_inc(c, 1));
    OK(pm_pusher_flush(p, 5000, NULL));
    const char *parent[] = {"job=\"c_test_fork\"", "!pid=", NULL};
    CHECK(gateway_value("c_fork_total", parent, &v) == 0);
    CHECK(v == 6);
    OK(pm_pusher_shutdown(p, 5000));
    pm_pusher_free(p);
    pm_counter_free(c);
    pm_gauge_free(g);
    pm_registry_free(r);
    return 0;
}

/* ---- multiprocess mode -------------------------------------------------------------- */

/*
 * Multiprocess mode: 8 forked workers record and end without a flush (half with _exit,
 * half killed with SIGKILL); the owner pushes exact totals to its one group, and no worker
 * leaves a group behind. Gauges combine as their mode says.
 */
static int test_multiprocess_workers_give_exact_totals_in_one_group(void) {
    char dir[] = "/tmp/pushmetrics-c-mp-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    pm_registry *r = new_registry();
    OK(pm_registry_enable_multiprocess(r, dir));
    bool worker = true;
    OK(pm_registry_is_multiprocess_worker(r, &worker));
    CHECK(!worker);
    char got_dir[256];
    size_t needed = 0;
    OK(pm_registry_multiprocess_dir(r, got_dir, sizeof got_dir, &needed));
    CHECK(strcmp(got_dir, dir) == 0 && needed == strlen(dir) + 1);

    const char *k[] = {"worker"};
    pm_counter_vec *items = NULL;
    OK(pm_counter_vec_new(r, "c_mp_items_total", "Items", k, 1, NULL, &items));
    pm_histogram *h = NULL;
    pm_metric_options *ho = NULL;
    OK(pm_metric_options_new(&ho));
    const double bounds[] = {1.0};
    OK(pm_metric_options_set_buckets(ho, bounds, 1));
    OK(pm_histogram_new(r, "c_mp_seconds", "Seconds", ho, &h));
    pm_metric_options_free(ho);
    pm_metric_options *go = NULL;
    OK(pm_metric_options_new(&go));
    CHECK(pm_metric_options_set_multiprocess_mode(go, "livesome") == PM_ERR_INVALID_CONFIG);
    CHECK(strstr(pm_last_error_message(), "livesome") != NULL);
    OK(pm_metric_options_set_multiprocess_mode(go, "sum"));
    pm_gauge *g = NULL;
    OK(pm_gauge_new(r, "c_mp_in_flight", "Sum over workers", go, &g));
    pm_metric_options_free(go);
    OK(pm_gauge_set(g, 1));

    pm_pusher_config *cfg = gateway_config("c_test_multiprocess");
    pm_pusher *p = NULL;
    OK(pm_pusher_start(cfg, r, &p));
    pm_pusher_config_free(cfg);

    /* Each worker writes its verdict to the pipe before it ends: under valgrind its exit
     * status also counts what it inherited from the parent as leaked. */
    int verdicts[2];
    CHECK(pipe(verdicts) == 0);
    pid_t pids[8];
    for (int i = 0; i < 8; i++) {
        fflush(stderr);
        pids[i] = fork();
        if (pids[i] == 0) {
            char name[16];
            snprintf(name, sizeof name, "w%d", i);
            const char *any[] = {"any"}, *own[] = {name};
            int bad = 0;
            for (int j = 0; j < 500; j++) bad |= pm_counter_vec_inc(items, any, 1, 1) != PM_OK;
            bad |= pm_counter_vec_inc(items, own, 1, 2) != PM_OK;
            bad |= pm_histogram_observe(h, 0.5) != PM_OK;
            bad |= pm_gauge_set(g, 10) != PM_OK;
            bool w = false;
            bad |= pm_registry_is_multiprocess_worker(r, &w) != PM_OK || !w;
            /* A worker's pusher sends nothing. */
            bad |= pm_pusher_flush(p, 5000, NULL) != PM_OK;
            char v = bad ? 'F' : 'K';
            if (write(verdicts[1], &v, 1) != 1) _exit(3);
            if (i % 2) raise(SIGKILL);
            _exit(0);
        }
        CHECK(pids[i] > 0);
    }
    close(verdicts[1]);
    for (int i = 0; i < 8; i++) {
        int status = 0;
        CHECK(waitpid(pids[i], &status, 0) == pids[i]);
        if (i % 2) CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    }
    char got[9] = {0};
    CHECK(read(verdicts[0], got, 8) == 8);
    close(verdicts[0]);
    CHECK(strcmp(got, "KKKKKKKK") == 0);
    OK(pm_pusher_shutdown(p, 10000));
    const char *any[] = {"job=\"c_test_multiprocess\"", "worker=\"any\"", NULL};
    double v = 0;
    CHECK(gateway_value("c_mp_items_total", any, &v) == 0 && v == 4000);
    for (int i = 0; i < 8; i++) {
        char label[32];
        snprintf(label, sizeof label, "worker=\"w%d\"", i);
        const char *own[] = {"job=\"c_test_multiprocess\"", label, NULL};
        CHECK(gateway_value("c_mp_items_total", own, &v) == 0 && v == 2);
    }
    const char *grp[] = {"job=\"c_test_multiprocess\"", NULL};
    CHECK(gateway_value("c_mp_seconds_count", grp, &v) == 0 && v == 8);
    CHECK(gateway_value("c_mp_in_flight", grp, &v) == 0 && v == 81);
    /* One group: no sample of the job carries a pid label. */
    const char *pid_group[] = {"job=\"c_test_multiprocess\"", "pid=", NULL};
    CHECK(gateway_value("c_mp_items_total", pid_group, &v) != 0);
    OK(pm_registry_remove_multiprocess_dir(r)); /* the application's own: kept */
    CHECK(access(dir, F_OK) == 0);
    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    CHECK(system(rm) == 0);
    pm_pusher_free(p);
    pm_counter_vec_free(items);
    pm_histogram_free(h);
    pm_gauge_free(g);
    pm_registry_free(r);
    return 0;
}

/* ---- fork under load ------------------------------------------------------------- */

struct load {
    pm_registry *r;
    pm_counter *held;
    pm_counter_vec *vec;
    pm_summary_vec *sum;
    int allocating; /* also make series and render the registry: both allocate */
    volatile int stop;
    int failures;
};

/* Records on a held series, a labelled one and a handle taken once. */
static void *record_load(void *arg) {
    struct load *l = arg;
    const char *a[] = {"a"}, *b[] = {"b"};
    pm_counter *hb = NULL;
    l->failures += pm_counter_vec_with(l->vec, b, 1, &hb) != PM_OK;
    while (!l->stop) {
        l->failures += pm_counter_inc(l->held, 1) != PM_OK;
        l->failures += pm_counter_vec_inc(l->vec, a, 1, 1) != PM_OK;
        l->failures += hb && pm_counter_inc(hb, 1) != PM_OK;
    }
    pm_counter_free(hb);
    return NULL;
}

/* Makes new series (each takes the family's write lock) and drops their handles. */
static void *churn_load(void *arg) {
    struct load *l = arg;
    char k[32];
    for (unsigned i = 0; !l->stop; i++) {
        snprintf(k, sizeof k, "new-%u", i);
        const char *v[] = {k};
        pm_counter *c = NULL;
        l->failures += pm_counter_vec_with(l->vec, v, 1, &c) != PM_OK;
        pm_counter_free(c);
    }
    return NULL;
}

/* Observes summaries (each takes its series' lock) and renders the registry. */
static void *observe_load(void *arg) {
    struct load *l = arg;
    const char *a[] = {"a"};
    while (!l->stop) {
        l->failures += pm_summary_vec_observe(l->sum, a, 1, 0.25) != PM_OK;
        if (!l->allocating) continue;
        char *text = NULL;
        l->failures += pm_registry_encode_text_alloc(l->r, &text, NULL) != PM_OK;
        pm_string_free(text);
    }
    return NULL;
}

/* What a forked child does: 0 when its numbers are its own. */
static int forked_child(struct load *l, pm_pusher *p) {
    int bad = 0;
    double v = -1;
    for (int i = 0; i < 3; i++) bad |= pm_counter_inc(l->held, 1) != PM_OK;
    bad |= pm_counter_get(l->held, &v) != PM_OK || v != 3;
    const char *c[] = {"child"};
    bad |= pm_counter_vec_inc(l->vec, c, 1, 1) != PM_OK;
    bad |= pm_summary_vec_observe(l->sum, c, 1, 0.5) != PM_OK;
    char *text = NULL;
    bad |= pm_registry_encode_text_alloc(l->r, &text, NULL) != PM_OK;
    bad |= text == NULL || strstr(text, "c_fork_load_held_total 3\n") == NULL;
    pm_string_free(text);
    pm_stats s;
    s.size = sizeof s;
    bad |= pm_pusher_stats(p, &s) != PM_OK || s.pushes_ok != 0;
    return bad;
}

/*
 * 200 forks while three threads record, make series, observe summaries and render the
 * registry, and the push thread waits on a gateway that never answers: every child
 * finishes (the library's locks are never copied held), and counts only its own numbers.
 * Under ASan the threads that allocate are left out: GCC 12's ASan allocator does not
 * lock itself around fork(), so a child forked while another thread allocates can hang
 * in its malloc, whatever library made the call (glibc's malloc, and valgrind's, are
 * fork-safe).
 */
static int test_forks_under_load_all_finish(void) {
    /* A gateway that accepts connections and never answers. */
    int hung = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    CHECK(hung >= 0 && bind(hung, (struct sockaddr *)&addr, sizeof addr) == 0);
    CHECK(listen(hung, 64) == 0 && getsockname(hung, (struct sockaddr *)&addr, &len) == 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(addr.sin_port));

    struct load l = {.r = new_registry(), .allocating = 1};
#if defined(__SANITIZE_ADDRESS__)
    l.allocating = 0;
#endif
    const char *k[] = {"k"};
    OK(pm_counter_new(l.r, "c_fork_load_held_total", "Held", NULL, &l.held));
    OK(pm_counter_vec_new(l.r, "c_fork_load_total", "Labelled", k, 1, NULL, &l.vec));
    OK(pm_summary_vec_new(l.r, "c_fork_load_seconds", "Summary", k, 1, NULL, &l.sum));
    pm_pusher_config *cfg = NULL;
    OK(pm_pusher_config_new(&cfg));
    OK(pm_pusher_config_set_url(cfg, url));
    OK(pm_pusher_config_set_job(cfg, "c_test_fork_load"));
    OK(pm_pusher_config_ignore_env(cfg));
    OK(pm_pusher_config_set_interval_ms(cfg, 50));
    OK(pm_pusher_config_set_request_timeout_ms(cfg, 60000));
    OK(pm_pusher_config_set_shutdown_timeout_ms(cfg, 100));
    pm_pusher *p = NULL;
    OK(pm_pusher_start(cfg, l.r, &p));
    pm_pusher_config_free(cfg);

    pthread_t t[3];
    int threads = l.allocating ? 3 : 2;
    CHECK(pthread_create(&t[0], NULL, record_load, &l) == 0);
    CHECK(pthread_create(&t[1], NULL, observe_load, &l) == 0);
    if (l.allocating) CHECK(pthread_create(&t[2], NULL, churn_load, &l) == 0);
    int hung_children = 0, failed_children = 0;
    for (int batch = 0; batch < 20; batch++) {
        /* Each child writes its verdict to the pipe: under valgrind its exit status also
         * counts what it inherited from the parent's threads as leaked. */
        int verdicts[2];
        CHECK(pipe(verdicts) == 0);
        pid_t pids[10];
        for (int i = 0; i < 10; i++) {
            fflush(stderr);
            pids[i] = fork();
            if (pids[i] == 0) {
                char v = forked_child(&l, p) ? 'F' : 'K';
                _exit(write(verdicts[1], &v, 1) != 1);
            }
            CHECK(pids[i] > 0);
        }
        close(verdicts[1]);
        int hung_here = 0;
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (int i = 0; i < 10; i++) {
            int status = 0;
            for (;;) {
                if (waitpid(pids[i], &status, WNOHANG) == pids[i]) break;
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - start.tv_sec > 60) {
                    kill(pids[i], SIGKILL);
                    waitpid(pids[i], &status, 0);
                    hung_here++;
                    break;
                }
                usleep(2000);
            }
        }
        char v[10];
        ssize_t got = read(verdicts[0], v, sizeof v);
        close(verdicts[0]);
        int ok = 0;
        for (ssize_t i = 0; i < got; i++) ok += v[i] == 'K';
        hung_children += hung_here;
        failed_children += 10 - hung_here - ok;
    }
    l.stop = 1;
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    if (hung_children || failed_children)
        fprintf(stderr, "  %d children hung, %d failed\n", hung_children, failed_children);
    CHECK(hung_children == 0 && failed_children == 0 && l.failures == 0);
    /* The gateway never answers: the final push fails or runs out of time. */
    CHECK(pm_pusher_shutdown(p, 100) != PM_OK);
    pm_pusher_free(p);
    pm_counter_free(l.held);
    pm_counter_vec_free(l.vec);
    pm_summary_vec_free(l.sum);
    pm_registry_free(l.r);
    close(hung);
    return 0;
}

/* ---- serving scrapers ----------------------------------------------------------------- */

/* A registry with one series of every type, served by a new server on 127.0.0.1. */
static pm_http_server *serve(pm_registry *r, const pm_http_server_options *o, uint16_t *port) {
    pm_http_server *s = NULL;
    if (pm_http_server_start(r, "127.0.0.1", 0, o, &s) != PM_OK ||
        pm_http_server_port(s, port) != PM_OK || *port == 0)
        abort();
    return s;
}

static int test_http_server_answers_curl_with_the_registry_text(void) {
    pm_registry *r = new_registry();
    pm_gauge *g = NULL;
    pm_histogram *h = NULL;
    OK(pm_gauge_new(r, "served_temperature", "Temperature", NULL, &g));
    OK(pm_gauge_set(g, -3.25));
    OK(pm_histogram_new(r, "served_latency_seconds", "Latency", NULL, &h));
    OK(pm_histogram_observe(h, 0.3));
    uint16_t port = 0;
    pm_http_server *s = serve(r, NULL, &port);
    char *want = NULL;
    size_t len = 0;
    OK(pm_registry_encode_text_alloc(r, &want, &len));
    char cmd[512];
    snprintf(cmd, sizeof cmd, "curl -fsS http://127.0.0.1:%u/metrics", port);
    char *got = command_output(cmd);
    CHECK(got && strcmp(got, want) == 0);
    free(got);
    /* gzip when accepted, and the same text once decompressed */
    snprintf(cmd, sizeof cmd, "curl -fsS --compressed -D /dev/stdout -o /dev/null "
                              "http://127.0.0.1:%u/", port);
    got = command_output(cmd);
    const char *gzip_headers[] = {"Content-Encoding: gzip",
                                  "Content-Type: text/plain; version=0.0.4; charset=utf-8", NULL};
    CHECK(got && contains_all(got, gzip_headers));
    free(got);
    snprintf(cmd, sizeof cmd, "curl -fsS --compressed http://127.0.0.1:%u/", port);
    got = command_output(cmd);
    CHECK(got && strcmp(got, want) == 0);
    free(got);
    /* HEAD: the headers only; another method: 405 */
    snprintf(cmd, sizeof cmd, "curl -fsS -I http://127.0.0.1:%u/metrics", port);
    got = command_output(cmd);
    char length[64];
    snprintf(length, sizeof length, "Content-Length: %zu", len);
    const char *head_headers[] = {"HTTP/1.1 200 OK", length, NULL};
    CHECK(got && contains_all(got, head_headers));
    free(got);
    snprintf(cmd, sizeof cmd, "curl -sS -o /dev/null -w '%%{http_code}' -X POST "
                              "http://127.0.0.1:%u/metrics", port);
    got = command_output(cmd);
    CHECK(got && strcmp(got, "405") == 0);
    free(got);
    /* promtool accepts the served text */
    snprintf(cmd, sizeof cmd, "curl -fsS http://127.0.0.1:%u/metrics | promtool check metrics "
                              ">/dev/null 2>&1 && echo valid", port);
    got = command_output(cmd);
    CHECK(got && strcmp(got, "valid\n") == 0);
    free(got);
    pm_string_free(want);
    OK(pm_http_server_stop(s));
    pm_http_server_free(s);
    pm_histogram_free(h);
    pm_gauge_free(g);
    pm_registry_free(r);
    return 0;
}

static int test_http_server_bounds_connections_and_frees_its_port_on_stop(void) {
    pm_registry *r = new_registry();
    pm_counter *c = NULL;
    OK(pm_counter_new(r, "served_total", "Served", NULL, &c));
    OK(pm_counter_inc(c, 7));
    pm_http_server_options o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.max_connections = 2;
    o.read_timeout_ms = 3000;
    uint16_t port = 0;
    pm_http_server *s = serve(r, &o, &port);
    /* A client that connects and sends nothing holds one thread, not the other. */
    int silent = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(silent >= 0 && connect(silent, (struct sockaddr *)&a, sizeof a) == 0);
    char cmd[512];
    /* Twelve scrapes at once over the one free thread: all answered. */
    snprintf(cmd, sizeof cmd,
             "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do curl -fsS -m 2 http://127.0.0.1:%u/ & done"
             " | grep -c '^served_total 7$'; wait",
             port);
    char *got = command_output(cmd);
    CHECK(got && strcmp(got, "12\n") == 0);
    free(got);
    /* The port is taken while it serves, named in the error, and free after stop. */
    pm_http_server *other = NULL;
    char where[32];
    snprintf(where, sizeof where, "127.0.0.1:%u", port);
    FAILS(pm_http_server_start(r, "127.0.0.1", port, NULL, &other), PM_ERR_IO, where);
    CHECK(other == NULL);
    OK(pm_http_server_stop(s));
    OK(pm_http_server_stop(s));
    uint16_t same = 0;
    OK(pm_http_server_port(s, &same));
    CHECK(same == port);
    /* SO_REUSEADDR, as every server sets it: the closed scrapes wait in TIME_WAIT. */
    int again = socket(AF_INET, SOCK_STREAM, 0), yes = 1;
    CHECK(again >= 0 && setsockopt(again, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) == 0);
    CHECK(bind(again, (struct sockaddr *)&a, sizeof a) == 0 && listen(again, 1) == 0);
    close(again);
    close(silent);
    pm_http_server_free(s);
    /* Arguments and options are checked by name. */
    FAILS(pm_http_server_start(NULL, "127.0.0.1", 0, NULL, &other), PM_ERR_INVALID_ARGUMENT,
          "`registry`");
    FAILS(pm_http_server_start(r, NULL, 0, NULL, &other), PM_ERR_INVALID_ARGUMENT, "`addr`");
    FAILS(pm_http_server_start(r, "127.0.0.1", 0, NULL, NULL), PM_ERR_INVALID_ARGUMENT, "`out`");
    FAILS(pm_http_server_start(r, "no-such-host.invalid", 9100, NULL, &other),
          PM_ERR_INVALID_CONFIG, "no-such-host.invalid:9100");
    o.size = 4;
    FAILS(pm_http_server_start(r, "127.0.0.1", 0, &o, &other), PM_ERR_INVALID_ARGUMENT,
          "sizeof(pm_http_server_options)");
    o.size = sizeof o;
    o.max_connections = 5000;
    FAILS(pm_http_server_start(r, "127.0.0.1", 0, &o, &other), PM_ERR_INVALID_CONFIG,
          "max_connections");
    FAILS(pm_http_server_port(NULL, &same), PM_ERR_INVALID_ARGUMENT, "`server`");
    FAILS(pm_http_server_stop(NULL), PM_ERR_INVALID_ARGUMENT, "`server`");
    pm_http_server_free(NULL);
    pm_counter_free(c);
    pm_registry_free(r);
    return 0;
}

/* ---- node_exporter's textfile collector -------------------------------------------- */

/* The whole file at `path`, to free(); NULL if it cannot be read. */
static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap);
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    if (buf) buf[len] = '\0';
    return buf;
}

/* The registry's text, to free(). */
static char *registry_text(pm_registry *r) {
    size_t needed = 0;
    if (pm_registry_encode_text(r, NULL, 0, &needed) != PM_ERR_BUFFER_TOO_SMALL) return NULL;
    char *buf = malloc(needed);
    if (buf && pm_registry_encode_text(r, buf, needed, &needed) != PM_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The number of entries of `dir` besides . and .., -1 if it cannot be read. */
static int dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static int promtool_accepts(const char *path) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "promtool check metrics < '%s' 2>&1", path);
    char *out = command_output(cmd);
    free(out);
    return out != NULL;
}

struct poller {
    const char *path, *small, *big;
    volatile int done;
    int reads, partial;
};

static void *poll_file(void *arg) {
    struct poller *p = arg;
    while (!__atomic_load_n(&p->done, __ATOMIC_ACQUIRE)) {
        char *text = read_file(p->path);
        p->reads++;
        if (!text || (strcmp(text, p->small) != 0 && strcmp(text, p->big) != 0)) p->partial++;
        free(text);
    }
    return NULL;
}

static int test_write_to_textfile_is_atomic_and_matches_the_registry(void) {
    char dir[] = "/tmp/pm-c-textfile-XXXXXX";
    CHECK(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/job.prom", dir);
    pm_registry *small = new_registry(), *big = new_registry();
    pm_counter *c = NULL;
    OK(pm_counter_new(small, "c_textfile_rows_total", "Rows", NULL, &c));
    OK(pm_counter_inc(c, 5));
    pm_histogram *h = NULL;
    OK(pm_histogram_new(small, "c_textfile_duration_seconds", "Duration", NULL, &h));
    OK(pm_histogram_observe(h, 0.2));
    const char *names[] = {"i"};
    pm_gauge_vec *g = NULL;
    OK(pm_gauge_vec_new(big, "c_textfile_value", "Values", names, 1, NULL, &g));
    for (int i = 0; i < 300; i++) {
        char v[32];
        snprintf(v, sizeof v, "series-%05d", i);
        const char *values[] = {v};
        OK(pm_gauge_vec_set(g, values, 1, i));
    }
    char *small_text = registry_text(small), *big_text = registry_text(big);
    CHECK(small_text && big_text);

    OK(pm_write_to_textfile(small, path));
    char *text = read_file(path);
    CHECK(text && strcmp(text, small_text) == 0);
    free(text);
    CHECK(promtool_accepts(path));

    /* A reader never sees anything but a whole file while it is rewritten 1000 times. */
    struct poller p = {path, small_text, big_text, 0, 0, 0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, poll_file, &p) == 0);
    for (int i = 0; i < 1000; i++) OK(pm_write_to_textfile(i % 2 ? small : big, path));
    __atomic_store_n(&p.done, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    CHECK(p.reads > 0 && p.partial == 0);
    CHECK(dir_entries(dir) == 1);

    FAILS(pm_write_to_textfile(NULL, path), PM_ERR_INVALID_ARGUMENT, "`registry`");
    FAILS(pm_write_to_textfile(small, NULL), PM_ERR_INVALID_ARGUMENT, "`path`");
    unlink(path);
    rmdir(dir);
    free(small_text);
    free(big_text);
    pm_gauge_vec_free(g);
    pm_histogram_free(h);
    pm_counter_free(c);
    pm_registry_free(big);
    pm_registry_free(small);
    return 0;
}

static int test_unwritable_textfiles_are_io_errors_naming_the_path(void) {
    char dir[] = "/tmp/pm-c-textfile-XXXXXX";
    CHECK(mkdtemp(dir));
    char plain[256], under_plain[300], missing[300], a_dir[300];
    snprintf(plain, sizeof plain, "%s/plain", dir);
    snprintf(under_plain, sizeof under_plain, "%s/job.prom", plain);
    snprintf(missing, sizeof missing, "%s/missing/job.prom", dir);
    snprintf(a_dir, sizeof a_dir, "%s/a-dir.prom", dir);
    FILE *f = fopen(plain, "w");
    CHECK(f);
    fclose(f);
    CHECK(mkdir(a_dir, 0755) == 0);
    pm_registry *r = new_registry();
    FAILS(pm_write_to_textfile(r, under_plain), PM_ERR_IO, under_plain);
    CHECK(strstr(pm_last_error_message(), "Not a directory"));
    FAILS(pm_write_to_textfile(r, missing), PM_ERR_IO, missing);
    CHECK(strstr(pm_last_error_message(), "No such file"));
    FAILS(pm_write_to_textfile(r, a_dir), PM_ERR_IO, a_dir);
    CHECK(strstr(pm_last_error_message(), "Is a directory"));
    /* No temporary file is left behind: the directory holds what the test made. */
    CHECK(dir_entries(dir) == 2 && dir_entries(a_dir) == 0);
    rmdir(a_dir);
    unlink(plain);
    rmdir(dir);
    pm_registry_free(r);
    return 0;
}

static int test_textfile_target_writes_at_each_interval_and_at_shutdown(void) {
    char dir[] = "/tmp/pm-c-textfile-XXXXXX";
    CHECK(mkdtemp(dir));
    char path[256], url[300];
    snprintf(path, sizeof path, "%s/worker.prom", dir);
    snprintf(url, sizeof url, "file://%s", path);
    pm_registry *r = new_registry();
    pm_counter *c = NULL;
    OK(pm_counter_new(r, "c_textfile_items_total", "Items", NULL, &c));
    OK(pm_counter_inc(c, 1));
    pm_pusher_config *cfg = NULL;
    OK(pm_pusher_config_new(&cfg));
    OK(pm_pusher_config_ignore_env(cfg));
    OK(pm_pusher_config_set_target(cfg, "textfile"));
    OK(pm_pusher_config_set_url(cfg, url));
    OK(pm_pusher_config_set_interval_ms(cfg, 100));
    OK(pm_pusher_config_set_jitter(cfg, 0));
    pm_pusher *p = NULL;
    OK(pm_pusher_start(cfg, r, &p)); /* no job: a textfile does not need one */
    int seen = 0;
    for (int i = 0; i < 250 && !seen; i++) {
        char *text = read_file(path);
        seen = text && strstr(text, "c_textfile_items_total 1\n");
        free(text);
        if (!seen) usleep(20000);
    }
    CHECK(seen);
    OK(pm_counter_inc(c, 41));
    OK(pm_pusher_shutdown(p, 5000));
    char *text = read_file(path);
    CHECK(text && strstr(text, "c_textfile_items_total 42\n"));
    CHECK(strstr(text, "pushmetrics_pushes_total"));
    free(text);
    CHECK(promtool_accepts(path));
    pm_stats s;
    s.size = sizeof s;
    OK(pm_pusher_stats(p, &s));
    CHECK(s.pushes_ok >= 2 && s.pushes_failed == 0);
    CHECK(dir_entries(dir) == 1);
    pm_pusher_free(p);

    /* A write that fails is counted, and its message names the path. */
    char bad[300];
    snprintf(bad, sizeof bad, "%s/job.prom", path);
    OK(pm_pusher_config_set_url(cfg, bad));
    OK(pm_pusher_config_set_interval_ms(cfg, 60000));
    OK(pm_pusher_start(cfg, r, &p));
    FAILS(pm_pusher_flush(p, 5000, NULL), PM_ERR_PUSH, bad);
    OK(pm_pusher_stats(p, &s));
    CHECK(s.pushes_failed == 1 && s.pushes_ok == 0 && s.has_last_error);
    FAILS(pm_pusher_config_set_target(cfg, "kafka"), PM_ERR_INVALID_CONFIG, "textfile");
    pm_pusher_free(p);
    pm_pusher_config_free(cfg);
    unlink(path);
    rmdir(dir);
    pm_counter_free(c);
    pm_registry_free(r);
    return 0;
}

/* ---- values computed at collection time --------------------------------------------- */

struct probe {
    double value;
    int calls;
    int freed;
};

static double probe_value(void *user_data) {
    struct probe *p = user_data;
    p->calls++;
    return p->value;
}

static void probe_free(void *user_data) { ((struct probe *)user_data)->freed++; }

static int test_gauge_func_is_computed_at_every_collection(void) {
    pm_registry *r = new_registry();
    struct probe p = {21.5, 0, 0};
    OK(pm_registry_gauge_func(r, "room_celsius", "Room temperature", probe_value, &p,
                              probe_free));
    char *text = NULL;
    OK(pm_registry_encode_text_alloc(r, &text, NULL));
    CHECK(strstr(text, "# TYPE room_celsius gauge\nroom_celsius 21.5\n") != NULL);
    pm_string_free(text);
    p.value = -3;
    OK(pm_registry_encode_text_alloc(r, &text, NULL));
    CHECK(strstr(text, "room_celsius -3\n") != NULL);
    pm_string_free(text);
    CHECK(p.calls == 2 && p.freed == 0);

    /* A taken name or a bad one is refused, and the user_data stays the caller's. */
    struct probe q = {1, 0, 0};
    FAILS(pm_registry_gauge_func(r, "room_celsius", "Again", probe_value, &q, probe_free),
          PM_ERR_CONFLICT, "room_celsius");
    pm_counter *c = NULL;
    OK(pm_counter_new(r, "events_total", "Events", NULL, &c));
    FAILS(pm_registry_gauge_func(r, "events_total", "Taken", probe_value, &q, probe_free),
          PM_ERR_CONFLICT, "events_total");
    FAILS(pm_registry_gauge_func(r, "bad name", "Bad", probe_value, &q, probe_free),
          PM_ERR_INVALID_NAME, "bad name");
    FAILS(pm_registry_gauge_func(r, "no_func", "None", NULL, &q, probe_free),
          PM_ERR_INVALID_ARGUMENT, "func");
    CHECK(q.freed == 0 && q.calls == 0);

    bool existed = false;
    OK(pm_registry_unregister_collector(r, "room_celsius", &existed));
    CHECK(existed && p.freed == 1);
    OK(pm_registry_unregister_collector(r, "room_celsius", &existed));
    CHECK(!existed);
    OK(pm_registry_encode_text_alloc(r, &text, NULL));
    CHECK(strstr(text, "room_celsius") == NULL);
    pm_string_free(text);

    /* Freeing the registry releases what it still holds. */
    struct probe last = {7, 0, 0};
    OK(pm_registry_gauge_func(r, "kept_until_free", "K", probe_value, &last, probe_free));
    pm_counter_free(c);
    pm_registry_free(r);
    CHECK(last.freed == 1);
    return 0;
}

static int test_gauge_func_is_pushed_by_the_pusher(void) {
    pm_registry *r = new_registry();
    struct probe p = {42, 0, 0};
    OK(pm_registry_gauge_func(r, "c_gauge_func_pushed", "Pushed", probe_value, &p, NULL));
    pm_pusher_config *cfg = gateway_config("c_gauge_func");
    pm_pusher *pusher = NULL;
    OK(pm_pusher_start(cfg, r, &pusher));
    OK(pm_pusher_flush(pusher, 5000, NULL));
    double v = 0;
    const char *labels[] = {"job=\"c_gauge_func\"", NULL};
    CHECK(gateway_value("c_gauge_func_pushed", labels, &v) == 0);
    CHECK(v == 42);
    CHECK(p.calls >= 1);
    OK(pm_pusher_shutdown(pusher, 5000));
    pm_pusher_free(pusher);
    pm_pusher_config_free(cfg);
    pm_registry_free(r);
    return 0;
}

struct queues {
    double depth[2];
    int fail;
    int freed;
    pm_collection *seen;
};

static int collect_queues(pm_collection *c, void *user_data) {
    struct queues *q = user_data;
    q->seen = c;
    if (q->fail) return PM_ERR_IO;
    const char *names[] = {"queue"};
    const char *mail[] = {"mail"}, *sms[] = {"sms"};
    pm_status s = pm_collection_add_gauge(c, "queue_depth", "Jobs waiting", names, mail, 1,
                                          q->depth[0]);
    if (s != PM_OK) return s;
    s = pm_collection_add_gauge(c, "queue_depth", "Jobs waiting", names, sms, 1, q->depth[1]);
    if (s != PM_OK) return s;
    /* Refused: another type under the same name, a label set twice, a negative counter. */
    if (pm_collection_add_counter(c, "queue_depth", "Jobs waiting", names, sms, 1, 1) !=
        PM_ERR_CONFLICT)
        return 100;
    if (pm_collection_add_gauge(c, "queue_depth", "Jobs waiting", names, sms, 1, 1) !=
        PM_ERR_INVALID_CONFIG)
        return 101;
    if (pm_collection_add_counter(c, "queue_jobs_total", "Jobs", NULL, NULL, 0, -1) !=
        PM_ERR_INVALID_VALUE)
        return 102;
    return pm_collection_add_counter(c, "queue_jobs_total", "Jobs", NULL, NULL, 0, 12);
}

static void queues_free(void *user_data) { ((struct queues *)user_data)->freed++; }

static int test_collector_callback_reports_families_and_failures_are_counted(void) {
    pm_registry *r = new_registry();
    struct queues q = {{3, 0.5}, 0, 0, NULL};
    OK(pm_registry_register_collector(r, "queues", collect_queues, &q, queues_free));
    FAILS(pm_registry_register_collector(r, "queues", collect_queues, &q, queues_free),
          PM_ERR_CONFLICT, "queues");
    FAILS(pm_registry_register_collector(r, "none", NULL, &q, queues_free),
          PM_ERR_INVALID_ARGUMENT, "func");
    char *text = NULL;
    OK(pm_registry_encode_text_alloc(r, &text, NULL));
    const char *want[] = {"# TYPE queue_depth gauge\n", "queue_depth{queue=\"mail\"} 3\n",
                          "queue_depth{queue=\"sms\"} 0.5\n",
                          "# TYPE queue_jobs_total counter\nqueue_jobs_total 12\n", NULL};
    CHECK(contains_all(text, want));
    CHECK(strstr(text, "pushmetrics_collector_failures_total") == NULL);
    pm_string_free(text);

    /* The collection is gone after the call: using it later is refused, not a crash. */
    FAILS(pm_collection_add_gauge(q.seen, "late", "Late", NULL, NULL, 0, 1),
          PM_ERR_INVALID_ARGUMENT, "pm_collection that was freed");

    q.fail = 1;
    OK(pm_registry_encode_text_alloc(r, &text, NULL));
    CHECK(strstr(text, "queue_depth") == NULL);
    CHECK(strstr(text, "pushmetrics_collector_failures_total{collector=\"queues\"} 1\n"));
    pm_string_free(text);

    bool existed = false;
    OK(pm_registry_unregister_collector(r, "queues", &existed));
    CHECK(existed && q.freed == 1);
    pm_registry_free(r);
    CHECK(q.freed == 1);
    return 0;
}

static int test_process_collector_is_on_for_the_default_registry_only(void) {
    pm_registry *d = NULL;
    OK(pm_registry_default(&d));
    char *text = NULL;
    OK(pm_registry_encode_text_alloc(d, &text, NULL));
    const char *names[] = {"# TYPE process_cpu_seconds_total counter\n",
                           "# TYPE process_open_fds gauge\n",
                           "# TYPE process_max_fds gauge\n",
                           "# TYPE process_virtual_memory_bytes gauge\n",
                           "# TYPE process_resident_memory_bytes gauge\n",
                           "# TYPE process_start_time_seconds gauge\n",
                           NULL};
    CHECK(contains_all(text, names));
    pm_string_free(text);
    FAILS(pm_registry_register_process_collector(d), PM_ERR_CONFLICT, "process");
    pm_registry_free(d);

    pm_registry *r = new_registry();
    OK(pm_registry_encode_text_alloc(r, &text, NULL));
    CHECK(strstr(text, "process_") == NULL);
    pm_string_free(text);
    OK(pm_registry_register_process_collector(r));
    OK(pm_registry_encode_text_alloc(r, &text, NULL));
    CHECK(contains_all(text, names));
    pm_string_free(text);
    bool existed = false;
    OK(pm_registry_unregister_collector(r, "process", &existed));
    CHECK(existed);
    pm_registry_free(r);
    return 0;
}

static int test_default_labels_reach_every_series_and_the_gateway(void) {
    pm_registry *r = new_registry();
    pm_counter_vec *v = NULL;
    const char *names[] = {"env"};
    const char *dev[] = {"dev"};
    OK(pm_counter_vec_new(r, "c_default_labels_total", "Defaults", names, 1, NULL, &v));
    OK(pm_counter_vec_inc(v, dev, 1, 2));
    pm_counter *c = NULL;
    OK(pm_counter_new(r, "c_default_labels_plain_total", "Plain", NULL, &c));
    OK(pm_counter_inc(c, 1));
    OK(pm_registry_register_process_collector_with(r, "c_app_", NULL, NULL, 0));

    /* env: the series' own label wins; instance: the grouping label wins on the gateway. */
    const char *dl_names[] = {"region", "env", "instance"};
    const char *dl_values[] = {"eu", "prod", "ignored"};
    OK(pm_registry_set_default_labels(r, dl_names, dl_values, 3));
    char *text = NULL;
    OK(pm_registry_encode_text_alloc(r, &text, NULL));
    const char *lines[] = {
        "c_default_labels_plain_total{region=\"eu\",env=\"prod\",instance=\"ignored\"} 1\n",
        "c_default_labels_total{region=\"eu\",instance=\"ignored\",env=\"dev\"} 2\n", NULL};
    int has_lines = contains_all(text, lines);
    int process_labelled = strstr(text, "c_app_process_cpu_seconds_total{region=\"eu\"") != NULL;
    pm_string_free(text);
    CHECK(has_lines);
#ifdef __linux__
    CHECK(process_labelled);
#else
    (void)process_labelled;
#endif

    pm_pusher_config *cfg = gateway_config("c_default_labels");
    OK(pm_pusher_config_add_grouping(cfg, "instance", "box1"));
    pm_pusher *pusher = NULL;
    OK(pm_pusher_start(cfg, r, &pusher));
    OK(pm_pusher_flush(pusher, 5000, NULL));
    double got = 0;
    const char *want[] = {"job=\"c_default_labels\"", "region=\"eu\"", "env=\"dev\"",
                          "instance=\"box1\"", NULL};
    CHECK(gateway_value("c_default_labels_total", want, &got) == 0);
    CHECK(got == 2);
    const char *want_plain[] = {"region=\"eu\"", "env=\"prod\"", "instance=\"box1\"", NULL};
    CHECK(gateway_value("c_default_labels_plain_total", want_plain, &got) == 0);

    /* A refused set names the bad label and keeps the previous one; n = 0 clears. */
    const char *le[] = {"le"}, *one[] = {"1"};
    FAILS(pm_registry_set_default_labels(r, le, one, 1), PM_ERR_INVALID_NAME, "\"le\"");
    const char *twice[] = {"a", "a"}, *two[] = {"1", "2"};
    FAILS(pm_registry_set_default_labels(r, twice, two, 2), PM_ERR_INVALID_NAME, "\"a\"");
    FAILS(pm_registry_set_default_labels(r, NULL, one, 1), PM_ERR_INVALID_ARGUMENT, "names");
    FAILS(pm_registry_set_default_labels(NULL, le, one, 1), PM_ERR_INVALID_ARGUMENT, "registry");
    OK(pm_registry_encode_text_alloc(r, &text, NULL));
    int kept = strstr(text, "region=\"eu\"") != NULL;
    pm_string_free(text);
    CHECK(kept);
    OK(pm_registry_set_default_labels(r, NULL, NULL, 0));
    OK(pm_registry_encode_text_alloc(r, &text, NULL));
    int cleared = strstr(text, "\nc_default_labels_plain_total 1\n") != NULL;
    pm_string_free(text);
    CHECK(cleared);

    OK(pm_pusher_shutdown(pusher, 5000));
    pm_pusher_free(pusher);
    pm_pusher_config_free(cfg);
    pm_counter_free(c);
    pm_counter_vec_free(v);
    pm_registry_free(r);
    return 0;
}

static int test_process_collector_with_prefix_and_labels(void) {
    pm_registry *r = new_registry();
    const char *names[] = {"service"}, *values[] = {"api"};
    OK(pm_registry_register_process_collector_with(r, "c_svc_", names, values, 1));
    FAILS(pm_registry_register_process_collector_with(r, NULL, NULL, NULL, 0), PM_ERR_CONFLICT,
          "process");
    char *text = NULL;
    OK(pm_registry_encode_text_alloc(r, &text, NULL));
#ifdef __linux__
    int prefixed = strstr(text, "\nc_svc_process_open_fds{service=\"api\"} ") != NULL;
#else
    int prefixed = 1;
#endif
    int bare = strstr(text, "\nprocess_") != NULL;
    pm_string_free(text);
    CHECK(prefixed && !bare);
    pm_registry_free(r);

    r = new_registry();
    FAILS(pm_registry_register_process_collector_with(r, "9", NULL, NULL, 0), PM_ERR_INVALID_NAME,
          "9process_cpu_seconds_total");
    const char *q[] = {"quantile"};
    FAILS(pm_registry_register_process_collector_with(r, "", q, values, 1), PM_ERR_INVALID_NAME,
          "quantile");
    pm_registry_free(r);
    return 0;
}

/* ---- runner ----------------------------------------------------------------------- */

struct test {
    const char *name;
    int (*fn)(void);
};

#define T(f) {#f + 5, f}
static const struct test TESTS[] = {
    T(test_version_abi_and_status_names),
    T(test_registry_options_are_applied_and_checked),
    T(test_default_registry_is_shared),
    T(test_encode_text_into_caller_buffer),
    T(test_reset_zeroes_counters_and_keeps_gauges),
    T(test_counter_counts_and_rejects_bad_increments),
    T(test_counter_vec_series_handles_and_one_shot_calls),
    T(test_many_label_values_beyond_the_inline_buffer),
    T(test_gauge_moves_both_ways),
    T(test_histogram_buckets_and_helpers),
    T(test_summary_quantiles_count_and_sum),
    T(test_invalid_names_and_conflicts),
    T(test_options_apply_only_to_their_metric_type),
    T(test_sampling_keeps_estimates_unbiased),
    T(test_cardinality_options_hash_drop_and_limit),
    T(test_null_arguments_are_refused_by_name),
    T(test_non_utf8_input_is_refused_by_name),
    T(test_versioned_structs_check_their_size),
    T(test_absurd_counts_are_refused_before_memory_is_touched),
    T(test_handles_of_another_type_are_refused),
    T(test_handles_used_after_free_are_refused),
    T(test_versioned_structs_accept_their_first_version),
    T(test_every_status_is_marked_warn_unused_result),
    T(test_every_pusher_option_is_accepted_and_checked),
    T(test_remote_write_options_are_checked_at_start),
    T(test_threads_record_while_the_pusher_pushes),
    T(test_shutdown_is_idempotent_and_later_flushes_fail),
    T(test_free_without_shutdown_makes_the_final_push),
    T(test_push_failures_are_reported_and_logged),
    T(test_log_callback_may_call_back_into_the_library),
    T(test_log_callback_repeats_are_rate_limited),
    T(test_flush_times_out_on_a_silent_gateway),
    T(test_push_once_and_delete_once),
    T(test_remote_write_reaches_prometheus_and_victoria_metrics),
    T(test_forked_child_pushes_its_own_group),
    T(test_forks_under_load_all_finish),
    T(test_multiprocess_workers_give_exact_totals_in_one_group),
    T(test_write_to_textfile_is_atomic_and_matches_the_registry),
    T(test_unwritable_textfiles_are_io_errors_naming_the_path),
    T(test_textfile_target_writes_at_each_interval_and_at_shutdown),
    T(test_http_server_answers_curl_with_the_registry_text),
    T(test_http_server_bounds_connections_and_frees_its_port_on_stop),
    T(test_gauge_func_is_computed_at_every_collection),
    T(test_gauge_func_is_pushed_by_the_pusher),
    T(test_process_collector_is_on_for_the_default_registry_only),
    T(test_collector_callback_reports_families_and_failures_are_counted),
    T(test_default_labels_reach_every_series_and_the_gateway),
    T(test_process_collector_with_prefix_and_labels),
};

int main(int argc, char **argv) {
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof TESTS / sizeof TESTS[0]; i++) {
        int selected = argc < 2;
        for (int a = 1; a < argc; a++) selected |= strstr(TESTS[i].name, argv[a]) != NULL;
        if (!selected) continue;
        int rc = TESTS[i].fn();
        printf("%s %s\n", rc == 0 ? "ok  " : "FAIL", TESTS[i].name);
        fflush(stdout);
        rc == 0 ? passed++ : failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    /* LeakSanitizer ends the process without flushing stdio when it reports a leak. */
    fflush(stdout);
    return failed != 0;
}
