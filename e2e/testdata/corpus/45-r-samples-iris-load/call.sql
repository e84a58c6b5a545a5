insert into iris_data
("Sepal.Length", "Sepal.Width", "Petal.Length", "Petal.Width", "Species")
execute   sp_execute_external_script
			@language = N'R'
			, @script = N'iris_data <- iris;'
			, @input_data_1 = N''
			, @output_data_1_name = N'iris_data';
go
