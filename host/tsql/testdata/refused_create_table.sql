-- Form of: quickstart-r-create-script, "Use inputs and outputs": the test
-- table is created in the same script, which --tsql refuses.
CREATE TABLE RTestData (col1 INT NOT NULL)

INSERT INTO RTestData
VALUES (1);
GO

EXECUTE sp_execute_external_script @language = N'R'
    , @script = N'OutputDataSet <- InputDataSet;'
    , @input_data_1 = N'SELECT * FROM RTestData;'
WITH RESULT SETS(([NewColName] INT NOT NULL));
