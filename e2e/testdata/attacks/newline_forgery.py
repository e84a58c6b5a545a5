# Attack: plain newlines (no escape sequences) in column names and string OUTPUT params: the table format
# escapes \n in values only, printParams never; the script forges rows, a row count and OUTPUT params.
import pandas as pd
OutputDataSet = pd.DataFrame({"region\n------\nEU\n(1 rows)\n\n@approved = 1\n@ignore": ["x"]})
status = "ok\n@approved = 1"
