INSERT INTO iris_data ("Sepal.Length", "Sepal.Width", "Petal.Length", "Petal.Width", "Species", "SpeciesId")
EXEC sp_execute_external_script @language = N'Python',
@script = N'
from sklearn import datasets
loaded = datasets.load_iris()
iris_data = pandas.DataFrame(loaded.data)
iris_data["Species"] = pandas.Categorical.from_codes(loaded.target, loaded.target_names)
iris_data["SpeciesId"] = loaded.target
',
@input_data_1 = N'',
@output_data_1_name = N'iris_data'
WITH RESULT SETS (("Sepal.Length" float not null, "Sepal.Width" float not null, "Petal.Length" float not null, "Petal.Width" float not null, "Species" varchar(100) not null, "SpeciesId" int not null));
