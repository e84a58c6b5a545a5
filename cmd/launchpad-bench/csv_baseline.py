# Baseline (b) of launchpad-bench: what a user would do without Launchpad —
# CSV in on stdin with pandas.read_csv, CSV out on stdout with to_csv.
import os
import sys

import pandas as pd

os.write(3, b"R")  # pandas is imported: the clock starts now
os.close(3)
df = pd.read_csv(sys.stdin)
df.to_csv(sys.stdout, index=False)
