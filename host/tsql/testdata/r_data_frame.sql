-- Form of: quickstart-r-create-script, "Use inputs and outputs" (values made
-- by the script, no input data: @input_data_1 is blank).
EXECUTE sp_execute_external_script @language = N'R'
    , @script = N'
greeting <- c("good", "morning", "moon");
OutputDataSet <- as.data.frame(greeting);
'
    , @input_data_1 = N' '
WITH RESULT SETS((Greeting NVARCHAR(20)));
