# Attack: caller stops reading (exec CLI SIGSTOPped). Does the host still end the job at its time limit and free the worker?
import pandas as pd, numpy as np
OutputDataSet = pd.DataFrame({"a": np.arange(20_000_000, dtype="int64")})
