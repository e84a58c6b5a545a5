EXECUTE sp_execute_external_script @language = N'Python'
    , @script = N'
import pandas as pd
words = pandas.Series(["hello", " ", "world"]);
OutputDataSet = pd.DataFrame(words);
'
    , @input_data_1 = N''
WITH RESULT SETS(([Col1] CHAR(20) NOT NULL));
