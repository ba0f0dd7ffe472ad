// The header compiles as C++17 with -Wall -Wextra -Werror next to the standard headers, its
// declarations have C linkage (this links against the C library), and the plain-data structs
// work from C++.
#include "pushmetrics.h"

// After the header: it must not redeclare anything these declare (malloc, free, ...).
#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main() {
    static_assert(PM_ABI_VERSION >= 1, "ABI version constant");
    if (pm_abi_version() != PM_ABI_VERSION) return 1;
    pm_registry *registry = nullptr;
    if (pm_registry_new(nullptr, &registry) != PM_OK) return 1;
    pm_counter *counter = nullptr;
    if (pm_counter_new(registry, "cpp_total", "From C++", nullptr, &counter) != PM_OK) return 1;
    if (pm_counter_inc(counter, 2.0) != PM_OK) return 1;
    pm_status bad = pm_counter_inc(counter, -1.0);
    pm_guard_counts counts{};
    counts.size = sizeof counts;
    if (pm_registry_guard_counts(registry, "cpp_total", &counts) != PM_OK) return 1;
    double value = 0;
    if (pm_counter_get(counter, &value) != PM_OK) return 1;
    std::printf("%s %s %g %llu\n", pm_version(), pm_status_name(bad), value,
                static_cast<unsigned long long>(counts.series));
    pm_counter_free(counter);
    pm_registry_free(registry);
    return bad == PM_ERR_INVALID_VALUE && value == 2.0 && counts.series == 1 ? 0 : 1;
}
