# Attack (part 1): leave things behind for the next job that gets the same worker uid.
import os, socket, subprocess, mmap
print('uid', os.getuid())
open('/dev/shm/planted', 'w').write('secret-from-previous-job')
open('/tmp/planted', 'w').write('secret-from-previous-job')
fd = os.memfd_create('planted'); os.write(fd, b'memfd-secret')
# abstract socket listener kept alive by a setsid daemon
subprocess.Popen(['setsid', 'python3', '-c', '''
import socket, time
s = socket.socket(socket.AF_UNIX); s.bind("\\0launchpad-attack-planted"); s.listen()
time.sleep(600)'''], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
# SysV shared memory and message queue
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print('shmget', libc.shmget(0x4c505041, 4096, 0o1666), 'msgget', libc.msgget(0x4c505041, 0o1666))
import time; time.sleep(1)
OutputDataSet = InputDataSet
