EXECUTE sp_execute_external_script
      @language = N'Python'
    , @script = N'
import time
t0 = time.time()

# the work to time goes here

took = time.time() - t0
'
    , @input_data_1 = N' ;';
