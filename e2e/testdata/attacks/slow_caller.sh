#!/bin/bash
# Run a big-output job, SIGSTOP the CLI right after it starts, watch the job past the 60s time limit.
D=$(dirname $0)
$D/run.sh Python $D/slow_caller.py --format csv > /dev/null 2>/var/tmp/attack-slow.err &
P=$!
sleep 4; C=$(pgrep -P $P); kill -STOP $C
echo "cli pid $C stopped at $(date -u +%T)"
for i in $(seq 1 10); do sleep 10; echo "$(date -u +%T) worker procs: $(ps -eo uid= | awk '$1>=1893500000 && $1<1893500004' | wc -l) host: $(grep VmRSS /proc/$(cat /var/tmp/attack-host.pid)/status)"; done
kill -CONT $C; sleep 1; kill $C; wait $P; echo "cli rc=$?"
