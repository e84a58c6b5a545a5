# Recon: which cgroups is the job in; can it read/write its own cgroup files.
import os
print(open('/proc/self/cgroup').read())
for p in ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/unified']:
    try: print(p, os.listdir(p)[:5])
    except Exception as e: print(p, e)
OutputDataSet = InputDataSet
