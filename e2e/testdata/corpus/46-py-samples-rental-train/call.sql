-- Kept as the documentation example has it, near-copy of a sibling case included: each case is one sample, checked alone.
DECLARE @trained_model varbinary(max);
    EXECUTE sp_execute_external_script
      @language = N'Python'
    , @script = N'
import pandas as pd   
frame = pd.DataFrame(rental_train_data)
print(frame)

# every column of the frame
cols = frame.columns.tolist()


# what the model predicts
label = "RentalCount"

from sklearn.linear_model import LinearRegression

reg = LinearRegression()
reg.fit(frame[cols], frame[label])

import pickle
# the model goes back as bytes
trained_model = pickle.dumps(reg)
'

    , @input_data_1 = N'select "RentalCount", "Year", "Month", "Day", "WeekDay", "Snow", "Holiday" from dbo.rental_data where Year < 2015'
    , @input_data_1_name = N'rental_train_data'
    , @params = N'@trained_model varbinary(max) OUTPUT'
    , @trained_model = @trained_model OUTPUT;
SELECT @trained_model AS model;
