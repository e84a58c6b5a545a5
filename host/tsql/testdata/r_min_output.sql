-- Form of: the R OUTPUT-parameter samples (an input query, one OUTPUT
-- param, commented-out lines inside the call, WITH RESULT SETS NONE and a
-- final SELECT of the variable under an alias).
DECLARE @maxVal INT;

EXECUTE sp_execute_external_script
      @language = N'R'
	  , @script = N'
	  MaxValue <- max(InputDataSet[,1])'
	  --, @script = N'
	  --OutputDataSet <- InputDataSet;'
    , @input_data_1 = N' SELECT col1 FROM RTestData'
	, @params = N'@MaxValue INT OUTPUT'
	,@MaxValue = @maxVal OUTPUT
    --WITH RESULT SETS (([NewColName] int NOT NULL));
	WITH RESULT SETS NONE;
	SELECT @maxVal as maxValue;
