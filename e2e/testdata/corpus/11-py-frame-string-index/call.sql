-- Kept as the documentation example has it, near-copy of a sibling case included: each case is one sample, checked alone.
EXECUTE sp_execute_external_script @language = N'Python'
    , @script = N'
import pandas as pd
p = 1
q = 2
r = p/q
ser = pandas.Series(r, index =["simple math example 1", "simple math example 2"])
print(ser)
frame = pd.DataFrame(ser, index=["simple math example 1"])
OutputDataSet = frame
'
WITH RESULT SETS((ResultValue FLOAT))
