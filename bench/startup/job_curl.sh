#!/bin/sh
# The same one-shot job as a shell script with curl, the usual way to push from C or a
# cron line: 10 metrics in the text format, one PUT. usage: job_curl.sh URL JOB
{
    for i in 0 1 2 3; do printf '# TYPE oneshot_items_%d_total counter\noneshot_items_%d_total %d\n' $i $i $((i + 1)); done
    for i in 0 1 2; do printf '# TYPE oneshot_level_%d gauge\noneshot_level_%d %d\n' $i $i $i; done
    for i in 0 1 2; do
        printf '# TYPE oneshot_seconds_%d histogram\noneshot_seconds_%d_bucket{le="+Inf"} 1\noneshot_seconds_%d_sum 0.%d\noneshot_seconds_%d_count 1\n' $i $i $i $i $i
    done
} | curl -fsS -X PUT --data-binary @- "$1/metrics/job/$2"
