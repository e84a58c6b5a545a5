DECLARE @trained_model varbinary(max);
    EXEC sp_execute_external_script
      @language = N'Python',
      @script = N'
import numpy
import pickle
from sklearn.linear_model import LogisticRegression

## a scikit-learn logistic regression
features = InputDataSet[["passenger_count", "trip_distance", "trip_time_in_secs", "direct_distance"]]
label = numpy.ravel(InputDataSet[["tipped"]])

algo = LogisticRegression()
fitted = algo.fit(features, label)

## the model goes back as bytes
trained_model = pickle.dumps(fitted)
',
    @input_data_1 = N'
    select tipped, fare_amount, passenger_count, trip_time_in_secs, trip_distance, 
    dbo.fnCalculateDistance(pickup_latitude, pickup_longitude,  dropoff_latitude, dropoff_longitude) as direct_distance
    from nyctaxi_sample_training
    ',
    @input_data_1_name = N'InputDataSet',
    @params = N'@trained_model varbinary(max) OUTPUT',
    @trained_model = @trained_model OUTPUT;
    ;
SELECT @trained_model AS model;
