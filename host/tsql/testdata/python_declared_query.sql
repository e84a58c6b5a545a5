-- Form of: sp-execute-external-script-transact-sql, example B (the input
-- query in a DECLAREd variable, "double-quoted" result columns), run as a
-- batch rather than inside CREATE PROCEDURE.

-- Input query kept in a variable
DECLARE @input_query NVARCHAR(MAX) = N'SELECT id, units, unit_price FROM sales'

EXEC sys.sp_execute_external_script @language = N'Python', @script = N'
import pandas as pd

# /* not a SQL comment: it is inside the string */
frame = my_input_data
frame["revenue"] = frame["units"] * frame["unit_price"]
OutputDataSet = frame
'
, @input_data_1 = @input_query
, @input_data_1_name = N'my_input_data'
WITH RESULT SETS (("Id" int, "Units" float,"Price" float,"Revenue" float));
