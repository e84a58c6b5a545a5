-- Form of: quickstart-r-data-types-and-objects, "Cast or convert data"
-- (doubled quotes inside the input query, WITH RESULT SETS undefined).
EXECUTE sp_execute_external_script
       @language = N'R'
      , @script = N' str(InputDataSet);
      OutputDataSet <- InputDataSet;'
      , @input_data_1 = N'
           SELECT region
         , CAST(units as varchar(50)) as Units
           FROM sales
           WHERE [region] = ''north''
           ORDER BY id ASC ;'
WITH RESULT SETS undefined;
