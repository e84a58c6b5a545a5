-- Form of: quickstart-python-functions: the call wrapped in a stored
-- procedure, which --tsql refuses.
CREATE PROCEDURE MyPyNorm (
      @param1 INT
    , @param2 INT
    )
AS
EXECUTE sp_execute_external_script @language = N'Python'
    , @script = N'
import numpy
import pandas
OutputDataSet = pandas.DataFrame(numpy.random.normal(size=n, loc=m, scale=1));
'
    , @input_data_1 = N'   ;'
    , @params = N' @n int, @m int'
    , @n = @param1
    , @m = @param2
WITH RESULT SETS(([Density] FLOAT NOT NULL));
