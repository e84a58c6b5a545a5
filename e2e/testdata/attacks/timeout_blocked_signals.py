# Attack: block every signal, close fd 3 without END and sleep past the time limit in a setsid grandchild too.
import os, signal, time, subprocess
signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP})
subprocess.Popen(['setsid', 'sh', '-c', 'trap "" TERM HUP INT; sleep 300'], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(200)
