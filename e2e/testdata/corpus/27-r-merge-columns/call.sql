EXECUTE sp_execute_external_script
    @language = N'R'
    , @script = N'
               six <- as.data.frame( array(1:6) );
               both <- as.data.frame( c( InputDataSet , six ));
               OutputDataSet <- both'
    , @input_data_1 = N' SELECT [Col1]  from RTestData;'
    WITH RESULT SETS (( [Col2] int not null, [Col3] int not null ));
