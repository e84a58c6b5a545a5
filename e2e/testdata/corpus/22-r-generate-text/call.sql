EXECUTE sp_execute_external_script @language = N'R'
    , @script = N'
words <- c("hello", " ", "world");
OutputDataSet <- as.data.frame(words);
'
    , @input_data_1 = N''
WITH RESULT SETS(([Col1] CHAR(20) NOT NULL));
