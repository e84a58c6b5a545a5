-- Form of: the INSERT … EXEC pattern of the ML Services tutorials (a model
-- or scores written into a table).
INSERT INTO dbo.Scores (region, total)
EXEC sp_execute_external_script @language = N'Python'
    , @script = N'OutputDataSet = InputDataSet.groupby("region", as_index=False)["units"].sum()'
    , @input_data_1 = N'SELECT region, units FROM sales';
