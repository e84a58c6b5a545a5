#!/bin/bash
# 4 callers (the host has 4 workers) stop reading; after the 60s time limit, a 5th small job should get a worker.
D=$(dirname $0); S=$(cat /var/tmp/attack-statepath)
PIDS=""
for i in 1 2 3 4; do
  $D/run.sh Python $D/slow_caller.py --format csv > /dev/null 2>/dev/null &
  PIDS="$PIDS $!"
done
sleep 6; CS=""; for p in $PIDS; do CS="$CS $(pgrep -P $p)"; done; kill -STOP $CS
echo "stopped CLIs:$CS at $(date -u +%T)"; sleep 75
echo "$(date -u +%T) worker procs: $(ps -eo uid= | awk '$1>=1893500000 && $1<1893500004' | wc -l); job folders: $(ls $S/jobs | wc -l)"
echo 'OutputDataSet = InputDataSet' > /tmp/attack-small.py
time $D/run.sh Python /tmp/attack-small.py --input-query "select 1 as a"; echo "5th job rc=$?"
kill -CONT $CS; sleep 1; kill $CS; wait
