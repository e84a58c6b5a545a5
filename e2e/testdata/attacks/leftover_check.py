# Attack (part 2): look for what a previous job of the same worker uid left.
import os, socket, ctypes, glob
print('uid', os.getuid())
for p in ['/dev/shm/planted', '/tmp/planted']:
    print(p, os.path.exists(p))
s = socket.socket(socket.AF_UNIX)
try: s.connect("\0launchpad-attack-planted"); print('abstract socket: CONNECTED')
except Exception as e: print('abstract socket:', e)
libc = ctypes.CDLL(None, use_errno=True)
print('shmget existing', libc.shmget(0x4c505041, 0, 0o666), 'msgget existing', libc.msgget(0x4c505041, 0o666))
print('ls /dev/shm', os.listdir('/dev/shm'), 'ls /tmp', os.listdir('/tmp'))
OutputDataSet = InputDataSet
