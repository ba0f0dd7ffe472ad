/*
 * A small batch job in C: it imports "rows", records what it did in counters, a gauge, a
 * histogram and a summary, pushes them to the Pushgateway at $PGW_URL in the background
 * (job "example_c"), makes its final push at shutdown and prints its push statistics.
 *
 *   cc job.c $(pkg-config --cflags --libs pushmetrics) -o job && PGW_URL=http://127.0.0.1:9091 ./job
 */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include <pushmetrics.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Every pm_* call returns a status; on failure the thread's last error says why. */
#define TRY(call)                                                                           \
    do {                                                                                    \
        pm_status s_ = (call);                                                              \
        if (s_ != PM_OK) {                                                                  \
            fprintf(stderr, "%s failed: %s (%s)\n", #call, pm_last_error_message(),         \
                    pm_status_name((int)s_));                                               \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void) {
    const char *url = getenv("PGW_URL");
    if (!url) {
        fprintf(stderr, "set PGW_URL to a Pushgateway, e.g. http://127.0.0.1:9091\n");
        return 2;
    }
    pm_registry *reg = NULL;
    TRY(pm_registry_new(NULL, &reg));

    const char *table_outcome[] = {"table", "outcome"};
    const char *table[] = {"table"};
    pm_counter_vec *rows = NULL;
    TRY(pm_counter_vec_new(reg, "import_rows_total", "Rows imported, by table and outcome.",
                           table_outcome, 2, NULL, &rows));
    pm_gauge *in_flight = NULL;
    TRY(pm_gauge_new(reg, "import_batches_in_flight", "Batches being written.", NULL,
                     &in_flight));
    double bounds[10];
    TRY(pm_exponential_buckets(0.001, 2.0, 10, bounds));
    pm_metric_options *hist_opts = NULL;
    TRY(pm_metric_options_new(&hist_opts));
    TRY(pm_metric_options_set_buckets(hist_opts, bounds, 10));
    pm_histogram_vec *batch_seconds = NULL;
    TRY(pm_histogram_vec_new(reg, "import_batch_seconds", "Time to write one batch.", table, 1,
                             hist_opts, &batch_seconds));
    pm_metric_options_free(hist_opts);
    pm_summary_vec *row_bytes = NULL;
    TRY(pm_summary_vec_new(reg, "import_row_bytes", "Size of imported rows.", table, 1, NULL,
                           &row_bytes));

    pm_pusher_config *cfg = NULL;
    TRY(pm_pusher_config_new(&cfg));
    TRY(pm_pusher_config_set_url(cfg, url));
    TRY(pm_pusher_config_set_job(cfg, "example_c"));
    TRY(pm_pusher_config_add_grouping(cfg, "instance", "demo-host"));
    TRY(pm_pusher_config_set_interval_ms(cfg, 1000));
    TRY(pm_pusher_config_set_max_attempts(cfg, 2));
    TRY(pm_pusher_config_set_flush_deadline_ms(cfg, 800));
    pm_pusher *pusher = NULL;
    TRY(pm_pusher_start(cfg, reg, &pusher));
    pm_pusher_config_free(cfg);

    const char *tables[] = {"users", "orders", "events"};
    int batches = 30;
    for (int batch = 0; batch < batches; batch++) {
        const char *t[] = {tables[batch % 3]};
        /* Resolve the hot series once per batch; each record is then one atomic add. */
        const char *ok_values[] = {t[0], "ok"};
        pm_counter *ok_rows = NULL;
        TRY(pm_counter_vec_with(rows, ok_values, 2, &ok_rows));
        TRY(pm_gauge_inc(in_flight));
        double start = now_seconds();
        for (int i = 0; i < 100; i++) {
            if ((batch * 100 + i) % 37 == 0) {
                const char *rejected[] = {t[0], "rejected"};
                TRY(pm_counter_vec_inc(rows, rejected, 2, 1));
            } else {
                TRY(pm_counter_inc(ok_rows, 1));
            }
            TRY(pm_summary_vec_observe(row_bytes, t, 1, 200 + (i * 7919 + batch * 31) % 1800));
        }
        TRY(pm_histogram_vec_observe(batch_seconds, t, 1,
                                     now_seconds() - start + 0.002 * (batch % 5)));
        TRY(pm_gauge_dec(in_flight));
        pm_counter_free(ok_rows);
    }

    pm_status shutdown = pm_pusher_shutdown(pusher, 5000);
    pm_stats s;
    s.size = sizeof s;
    TRY(pm_pusher_stats(pusher, &s));
    char last_error[512] = "none";
    size_t needed = 0;
    if (s.has_last_error &&
        pm_pusher_last_error(pusher, last_error, sizeof last_error, &needed) != PM_OK)
        snprintf(last_error, sizeof last_error, "(longer than %zu bytes)", sizeof last_error);
    printf("example_c: %d batches; pushes ok %llu failed %llu, requests %llu (retries %llu), "
           "%llu bytes sent, breaker %s, last error: %s\n",
           batches, (unsigned long long)s.pushes_ok, (unsigned long long)s.pushes_failed,
           (unsigned long long)s.requests, (unsigned long long)s.retries,
           (unsigned long long)s.bytes_sent,
           s.breaker == PM_BREAKER_CLOSED ? "closed"
           : s.breaker == PM_BREAKER_OPEN ? "open"
                                          : "half_open",
           last_error);

    pm_pusher_free(pusher);
    pm_counter_vec_free(rows);
    pm_gauge_free(in_flight);
    pm_histogram_vec_free(batch_seconds);
    pm_summary_vec_free(row_bytes);
    pm_registry_free(reg);
    return shutdown == PM_OK ? 0 : 1;
}
