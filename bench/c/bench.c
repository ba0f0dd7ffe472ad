/*
 * The C side of bench/c: a held-series counter increment and a labelled increment (two
 * labels) through the C ABI, timed as ffi/benches/record.rs times the same calls on the
 * core (fastest of 7
 * runs: on a shared machine the fastest run is the one least disturbed by other processes). Prints `c <case> <ns/op>` lines for bench/c/run.sh.
 */
#define _POSIX_C_SOURCE 199309L
#include "pushmetrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { RUNS = 7 };

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define MEASURE(result, n, body)                                                            \
    do {                                                                                    \
        double runs_[RUNS];                                                                 \
        for (long w_ = 0; w_ < (n) / 10; w_++) body;                                        \
        for (int r_ = 0; r_ < RUNS; r_++) {                                                 \
            double t_ = now_ns();                                                           \
            for (long i_ = 0; i_ < (n); i_++) body;                                         \
            runs_[r_] = (now_ns() - t_) / (double)(n);                                      \
        }                                                                                   \
        qsort(runs_, RUNS, sizeof runs_[0], cmp);                                           \
        (result) = runs_[0];                                                         \
    } while (0)

int main(void) {
    const char *env = getenv("BENCH_N");
    long n = env ? atol(env) : 20000000L;
    pm_registry *reg = NULL;
    pm_counter *held = NULL;
    pm_counter_vec *vec = NULL;
    const char *names[] = {"method", "code"};
    const char *values[] = {"GET", "200"};
    if (pm_registry_new(NULL, &reg) != PM_OK ||
        pm_counter_new(reg, "bench_held_total", "Held series", NULL, &held) != PM_OK ||
        pm_counter_vec_new(reg, "bench_labelled_total", "Labelled", names, 2, NULL, &vec) !=
            PM_OK) {
        fprintf(stderr, "setup failed: %s\n", pm_last_error_message());
        return 1;
    }
    /* `volatile` keeps the increment an opaque value, as black_box does on the Rust side. */
    volatile double one = 1.0;
    double held_ns = 0, labelled_ns = 0;
    MEASURE(held_ns, n, {
        if (pm_counter_inc(held, one) != PM_OK) abort();
    });
    MEASURE(labelled_ns, n / 10, {
        if (pm_counter_vec_inc(vec, values, 2, one) != PM_OK) abort();
    });
    printf("c held_inc %.2f\n", held_ns);
    printf("c labelled_inc %.2f\n", labelled_ns);
    pm_counter_free(held);
    pm_counter_vec_free(vec);
    pm_registry_free(reg);
    return 0;
}
