-- Form of: r-tutorial-create-models-per-partition (partition and order
-- columns, @parallel = 1).
EXEC sp_execute_external_script
  @language = N'R'
, @script = N'OutputDataSet <- data.frame(region = InputDataSet$region[1], n = nrow(InputDataSet))'
, @input_data_1 = N'SELECT region, units FROM sales'
, @input_data_1_partition_by_columns = N'region'
, @input_data_1_order_by_columns = N'units'
, @parallel = 1
WITH RESULT SETS ((region varchar(20), n int));
