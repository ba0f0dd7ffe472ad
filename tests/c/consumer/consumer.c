/* A program built only from an installed pushmetrics: by pkg-config (shared and static)
 * and by CMake's find_package. Prints the text encoding of one counter. */
#include <pushmetrics.h>
#include <stdio.h>

int main(void) {
    pm_registry *r = NULL;
    pm_counter *c = NULL;
    char *text = NULL;
    if (pm_registry_new(NULL, &r) != PM_OK || pm_counter_new(r, "installed_total", "Installed",
                                                             NULL, &c) != PM_OK)
        return 1;
    if (pm_counter_inc(c, 3) != PM_OK || pm_registry_encode_text_alloc(r, &text, NULL) != PM_OK)
        return 1;
    fputs(text, stdout);
    pm_string_free(text);
    pm_counter_free(c);
    pm_registry_free(r);
    return 0;
}
