-- Kept as the documentation example has it, near-copy of a sibling case included: each case is one sample, checked alone.
EXECUTE sp_execute_external_script @language = N'R'
    , @script = N' SQL_out <- SQL_in;'
    , @input_data_1 = N' SELECT 12 as Col;'
    , @input_data_1_name = N'SQL_in'
    , @output_data_1_name = N'SQL_out'
WITH RESULT SETS(([NewColName] INT NOT NULL));
