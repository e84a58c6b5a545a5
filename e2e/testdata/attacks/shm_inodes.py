# Attack: /dev/shm is a private tmpfs of 64 MiB, but empty files cost no blocks: are inodes (kernel memory) bounded
# and charged to the job's memory limit? Creates N empty files with long names, reports memory seen in the cgroup.
import os, time
N = 1_000_000
t = time.time()
for i in range(N):
    os.close(os.open('/dev/shm/' + ('%07d' % i) + 'x' * 200, os.O_CREAT | os.O_WRONLY, 0o600))
print(f"created {N} empty files in /dev/shm in {time.time()-t:.1f}s")
os.system('df -i /dev/shm; df -h /dev/shm')
time.sleep(15)
OutputDataSet = InputDataSet
