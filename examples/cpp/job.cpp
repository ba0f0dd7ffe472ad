// A small batch job in C++ over the C ABI, with a small RAII wrapper (below, not part of the
// library): handles are std::unique_ptr with the matching pm_*_free, and a failed call
// throws with the library's message. It records counters, a gauge, a histogram and a
// summary, pushes to the Pushgateway at $PGW_URL (job "example_cpp"), shuts down and prints
// its push statistics.
//
//   c++ -std=c++17 job.cpp $(pkg-config --cflags --libs pushmetrics) -o job
#include <pushmetrics.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace pm {

struct error : std::runtime_error {
    pm_status status;
    error(pm_status s, const char *what)
        : std::runtime_error(std::string(pm_status_name(s)) + ": " + what), status(s) {}
};

inline void check(pm_status s) {
    if (s != PM_OK) throw error(s, pm_last_error_message());
}

template <typename T, void (*Free)(T *)>
struct deleter {
    void operator()(T *p) const { Free(p); }
};
template <typename T, void (*Free)(T *)>
using handle = std::unique_ptr<T, deleter<T, Free>>;

template <typename H, typename Fn, typename... Args>
H make(Fn fn, Args... args) {
    typename H::pointer raw = nullptr;
    check(fn(args..., &raw));
    return H(raw);
}

using registry = handle<pm_registry, pm_registry_free>;
using options = handle<pm_metric_options, pm_metric_options_free>;
using counter = handle<pm_counter, pm_counter_free>;
using counter_vec = handle<pm_counter_vec, pm_counter_vec_free>;
using gauge = handle<pm_gauge, pm_gauge_free>;
using histogram_vec = handle<pm_histogram_vec, pm_histogram_vec_free>;
using summary_vec = handle<pm_summary_vec, pm_summary_vec_free>;
using pusher_config = handle<pm_pusher_config, pm_pusher_config_free>;
using pusher = handle<pm_pusher, pm_pusher_free>;

// Label values as the C ABI takes them.
struct labels {
    std::vector<const char *> v;
    labels(std::initializer_list<const char *> l) : v(l) {}
    const char *const *data() const { return v.data(); }
    size_t size() const { return v.size(); }
};

}  // namespace pm

int main() try {
    const char *url = std::getenv("PGW_URL");
    if (!url) {
        std::fprintf(stderr, "set PGW_URL to a Pushgateway, e.g. http://127.0.0.1:9091\n");
        return 2;
    }
    auto reg = pm::make<pm::registry>(pm_registry_new, static_cast<const pm_registry_options *>(nullptr));
    pm::labels table_outcome{"table", "outcome"}, table{"table"};
    auto rows = pm::make<pm::counter_vec>(pm_counter_vec_new, reg.get(), "import_rows_total",
                                          "Rows imported, by table and outcome.",
                                          table_outcome.data(), table_outcome.size(),
                                          static_cast<const pm_metric_options *>(nullptr));
    auto in_flight = pm::make<pm::gauge>(pm_gauge_new, reg.get(), "import_batches_in_flight",
                                         "Batches being written.",
                                         static_cast<const pm_metric_options *>(nullptr));
    std::array<double, 10> bounds{};
    pm::check(pm_exponential_buckets(0.001, 2.0, bounds.size(), bounds.data()));
    auto hist_opts = pm::make<pm::options>(pm_metric_options_new);
    pm::check(pm_metric_options_set_buckets(hist_opts.get(), bounds.data(), bounds.size()));
    auto batch_seconds = pm::make<pm::histogram_vec>(
        pm_histogram_vec_new, reg.get(), "import_batch_seconds", "Time to write one batch.",
        table.data(), table.size(), static_cast<const pm_metric_options *>(hist_opts.get()));
    auto row_bytes = pm::make<pm::summary_vec>(
        pm_summary_vec_new, reg.get(), "import_row_bytes", "Size of imported rows.",
        table.data(), table.size(), static_cast<const pm_metric_options *>(nullptr));

    auto cfg = pm::make<pm::pusher_config>(pm_pusher_config_new);
    pm::check(pm_pusher_config_set_url(cfg.get(), url));
    pm::check(pm_pusher_config_set_job(cfg.get(), "example_cpp"));
    pm::check(pm_pusher_config_add_grouping(cfg.get(), "instance", "demo-host"));
    pm::check(pm_pusher_config_set_interval_ms(cfg.get(), 1000));
    pm::check(pm_pusher_config_set_max_attempts(cfg.get(), 2));
    pm::check(pm_pusher_config_set_flush_deadline_ms(cfg.get(), 800));
    auto push = pm::make<pm::pusher>(pm_pusher_start,
                                     static_cast<const pm_pusher_config *>(cfg.get()),
                                     static_cast<const pm_registry *>(reg.get()));

    const char *tables[] = {"users", "orders", "events"};
    const int batches = 30;
    for (int batch = 0; batch < batches; batch++) {
        pm::labels t{tables[batch % 3]};
        pm::labels ok{tables[batch % 3], "ok"}, rejected{tables[batch % 3], "rejected"};
        // The hot series is resolved once per batch; each record is then one atomic add.
        auto ok_rows = pm::make<pm::counter>(pm_counter_vec_with,
                                             static_cast<const pm_counter_vec *>(rows.get()),
                                             ok.data(), ok.size());
        pm::check(pm_gauge_inc(in_flight.get()));
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < 100; i++) {
            if ((batch * 100 + i) % 37 == 0)
                pm::check(pm_counter_vec_inc(rows.get(), rejected.data(), rejected.size(), 1));
            else
                pm::check(pm_counter_inc(ok_rows.get(), 1));
            pm::check(pm_summary_vec_observe(row_bytes.get(), t.data(), t.size(),
                                             200 + (i * 7919 + batch * 31) % 1800));
        }
        std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        pm::check(pm_histogram_vec_observe(batch_seconds.get(), t.data(), t.size(),
                                           took.count() + 0.002 * (batch % 5)));
        pm::check(pm_gauge_dec(in_flight.get()));
    }

    pm_status shutdown = pm_pusher_shutdown(push.get(), 5000);
    pm_stats s{};
    s.size = sizeof s;
    pm::check(pm_pusher_stats(push.get(), &s));
    std::string last_error = "none";
    if (s.has_last_error) {
        size_t needed = 0;
        // Asks for the size only: the empty buffer is too small by design.
        pm_status size_only = pm_pusher_last_error(push.get(), nullptr, 0, &needed);
        if (size_only != PM_ERR_BUFFER_TOO_SMALL) pm::check(size_only);
        std::vector<char> buf(needed);
        pm::check(pm_pusher_last_error(push.get(), buf.data(), buf.size(), &needed));
        last_error = buf.data();
    }
    const char *breaker = s.breaker == PM_BREAKER_CLOSED ? "closed"
                          : s.breaker == PM_BREAKER_OPEN ? "open"
                                                         : "half_open";
    std::printf("example_cpp: %d batches; pushes ok %llu failed %llu, requests %llu (retries "
                "%llu), %llu bytes sent, breaker %s, last error: %s\n",
                batches, static_cast<unsigned long long>(s.pushes_ok),
                static_cast<unsigned long long>(s.pushes_failed),
                static_cast<unsigned long long>(s.requests),
                static_cast<unsigned long long>(s.retries),
                static_cast<unsigned long long>(s.bytes_sent), breaker, last_error.c_str());
    pm::check(shutdown);
    return 0;
} catch (const pm::error &e) {
    std::fprintf(stderr, "example_cpp: %s\n", e.what());
    return 1;
}
