#!/bin/bash
# Runs shaper_amplify.py with a result schema and samples, every 5s: the job's processes, host RSS and host CPU seconds.
D=$(dirname $0); HP=$(cat /var/tmp/attack-host.pid); T=$(getconf CLK_TCK)
( $D/run.sh Python $D/shaper_amplify.py --result-schema "x varchar(10)" --format csv 2>&1 >/dev/null | tail -1 ) &
S=$(date +%s)
for i in $(seq 1 22); do sleep 5
  read -r u s <<<"$(awk '{print $14, $15}' /proc/$HP/stat)"
  echo "t+$(( $(date +%s) - S ))s worker_procs=$(ps -eo uid= | awk '$1>=1893500000 && $1<1893500004' | wc -l) host_cpu_s=$(( (u+s)/T )) $(grep VmRSS /proc/$HP/status | tr -s ' \t' ' ')"
  jobs %1 >/dev/null 2>&1 || break
done; wait
grep -E 'job (done|failed)' /var/tmp/attack-host.log | tail -1
