-- Form of: quickstart-python-create-script, "Use inputs and outputs"
-- (renamed input and output data sets).
EXECUTE sp_execute_external_script @language = N'Python'
    , @script = N'rows_out = rows_in;'
    , @input_data_1 = N'SELECT 42 as Answer;'
    , @input_data_1_name  = N'rows_in'
    , @output_data_1_name = N'rows_out'
WITH RESULT SETS(([Answer] INT NOT NULL));
