/* A one-shot job with pushmetrics from C: record 10 metrics, push once on the calling
 * thread, exit. usage: job_pushmetrics URL JOB */
#include <pushmetrics.h>
#include <stdio.h>

#define TRY(call)                                                          \
    do {                                                                   \
        if ((call) != PM_OK) {                                             \
            fprintf(stderr, "job_pushmetrics: %s\n", pm_last_error_message()); \
            return 1;                                                      \
        }                                                                  \
    } while (0)

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    pm_registry *reg = NULL;
    pm_pusher_config *cfg = NULL;
    char name[64];
    TRY(pm_registry_new(NULL, &reg));
    for (int i = 0; i < 4; i++) {
        pm_counter *c = NULL;
        snprintf(name, sizeof name, "oneshot_items_%d_total", i);
        TRY(pm_counter_new(reg, name, "Items", NULL, &c));
        TRY(pm_counter_inc(c, i + 1));
        pm_counter_free(c);
    }
    for (int i = 0; i < 3; i++) {
        pm_gauge *g = NULL;
        snprintf(name, sizeof name, "oneshot_level_%d", i);
        TRY(pm_gauge_new(reg, name, "Level", NULL, &g));
        TRY(pm_gauge_set(g, i));
        pm_gauge_free(g);
    }
    for (int i = 0; i < 3; i++) {
        pm_histogram *h = NULL;
        snprintf(name, sizeof name, "oneshot_seconds_%d", i);
        TRY(pm_histogram_new(reg, name, "Time", NULL, &h));
        TRY(pm_histogram_observe(h, 0.1 * i));
        pm_histogram_free(h);
    }
    TRY(pm_pusher_config_new(&cfg));
    TRY(pm_pusher_config_set_url(cfg, argv[1]));
    TRY(pm_pusher_config_set_job(cfg, argv[2]));
    TRY(pm_pusher_config_push_once(cfg, reg, NULL));
    pm_pusher_config_free(cfg);
    pm_registry_free(reg);
    return 0;
}
