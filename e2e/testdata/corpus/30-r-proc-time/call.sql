EXECUTE sp_execute_external_script
      @language = N'R'
    , @script = N'
        library(utils);
        t0 <- proc.time();
        
        # the work to time goes here
        
        took <- proc.time() - t0;'
