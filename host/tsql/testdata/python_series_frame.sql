-- Form of: quickstart-python-data-structures, "Convert series to data frame".
EXECUTE sp_execute_external_script @language = N'Python'
    , @script = N'
import pandas as pd
p = 3
q = 4
s = pd.Series([p/q, p*q])
print(s)
OutputDataSet = pd.DataFrame(s)
'
WITH RESULT SETS((ResultValue FLOAT))
