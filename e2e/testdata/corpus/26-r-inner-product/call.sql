-- Kept as the documentation example has it, near-copy of a sibling case included: each case is one sample, checked alone.
execute sp_execute_external_script
   @language = N'R'
   , @script = N'
        m <- as.matrix(InputDataSet);
        v <- array(12:14);
   OutputDataSet <- as.data.frame(v %*% m);'
   , @input_data_1 = N' SELECT [Col1]  from RTestData;'
   WITH RESULT SETS (([Col1] int ));
