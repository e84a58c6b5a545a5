-- Form of: quickstart-python-functions (params declared in @params), with
-- the values given as literals in the call instead of a procedure's inputs.
EXECUTE sp_execute_external_script @language = N'Python'
    , @script = N'
import pandas
OutputDataSet = pandas.DataFrame({"n": [n], "mean": [mean], "note": [note]})
'
    , @input_data_1 = N'   ;'
    , @params = N' @n int, @mean float, @note nvarchar(20)'
    , @n = 100
    , @mean = -2.5
    , @note = N'it''s fine'
WITH RESULT SETS(([N] INT, [Mean] FLOAT, [Note] NVARCHAR(20)));
