# Recon: what a job can see/read/write of the host and machine.
import os, glob, subprocess
def tryread(p, n=300):
    try:
        with open(p, 'rb') as f: return repr(f.read(n))
    except Exception as e: return 'ERR ' + type(e).__name__ + ' ' + str(e)[:80]
def trywrite(p, data=b'x'):
    try:
        with open(p, 'wb') as f: f.write(data); return 'WROTE'
    except Exception as e: return 'ERR ' + type(e).__name__ + ' ' + str(e)[:80]
print('uid', os.getuid(), os.getgid(), os.getgroups(), 'pid', os.getpid(), 'ppid', os.getppid())
print('cwd', os.getcwd(), 'env', dict(os.environ))
for p in ['/proc/self/cgroup', '/proc/self/status', '/proc/1/cmdline', '/proc/1/environ', '/proc/kallsyms', '/proc/sched_debug',
          '/proc/sys/kernel/hostname', '/proc/sys/kernel/random/boot_id', '/proc/sys/kernel/core_pattern', '/proc/timer_list',
          '/proc/slabinfo', '/proc/keys', '/proc/key-users', '/proc/net/unix', '/proc/net/tcp', '/proc/self/mounts', '/proc/cmdline',
          '/proc/modules', '/proc/iomem', '/proc/vmallocinfo', '/proc/pagetypeinfo', '/proc/sysvipc/shm', '/proc/locks', '/proc/interrupts',
          '/proc/1/mountinfo', '/proc/self/loginuid', '/proc/buddyinfo', '/proc/diskstats', '/proc/partitions', '/proc/sys/kernel/pid_max',
          '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/kernel/debug', '/sys/kernel/security/lsm', '/sys/class/net',
          '/dev/kmsg', '/dev/mem', '/dev/null', '/dev/tty', '/dev/console', '/etc/passwd', '/etc/shadow', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf']:
    print('R', p, tryread(p, 200))
for p in ['/proc/sys/kernel/ns_last_pid', '/proc/self/oom_score_adj', '/proc/sysrq-trigger', '/dev/shm/x', '/tmp/x', '/dev/mqueue/x', '/run/x', '/var/tmp/x', '/proc/self/attr/current', '/sys/fs/cgroup/unified/cgroup.procs']:
    print('W', p, trywrite(p, b'-1000' if 'oom' in p else b'x'))
for d in ['/', '/dev', '/dev/shm', '/sys', '/sys/fs/cgroup', '/run', '/proc', '/var', '/var/tmp', '..', '/etc', '/home', '/root', '/usr/local']:
    try: print('L', d, sorted(os.listdir(d))[:60])
    except Exception as e: print('L', d, 'ERR', type(e).__name__)
print(subprocess.run(['sh','-c','df -h /tmp /dev/shm . 2>&1; df -i /tmp /dev/shm . 2>&1; cat /proc/self/mountinfo | head -40; ulimit -a'], capture_output=True, text=True).stdout)
OutputDataSet = InputDataSet
