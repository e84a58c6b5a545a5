-- Form of: quickstart-python-create-script, "Run a Hello World script".
EXECUTE sp_execute_external_script @language = N'Python'
    , @script = N'OutputDataSet = InputDataSet'
    , @input_data_1 = N'SELECT 7 AS lucky'
WITH RESULT SETS(([Lucky Number] INT));
GO
