#!/bin/bash
# 3 jobs at once each send one ~250 MiB BATCH frame; watch the host's resident memory.
D=$(dirname $0); HP=$(cat /var/tmp/attack-host.pid)
grep -E 'VmHWM|VmRSS' /proc/$HP/status
for i in 1 2 3; do $D/run.sh Python $D/huge_batch.py --format csv | wc -c & done
for i in $(seq 1 8); do sleep 4; echo "$(date +%T) $(grep VmRSS /proc/$HP/status)"; done; wait
grep -E 'VmHWM|VmRSS' /proc/$HP/status
