-- Form of: run-python-using-t-sql (advanced-analytics tutorials): streaming
-- with @r_rowsPerRead declared in @params and bound to a variable.
DECLARE @RowsPerRead INT = 5

execute sp_execute_external_script
@language = N'python',
@script = N'OutputDataSet = InputDataSet',
@input_data_1 = N'select * from sales',
@params = N'@r_rowsPerRead INT',
@r_rowsPerRead = @RowsPerRead
with result sets (("Region" varchar(10) null, "Units" float null))
