-- Form of: quickstart-r-create-script, "List R packages" (EXEC, a
-- lower-case multi-line WITH result sets clause).
EXEC sp_execute_external_script @language = N'R'
    , @script = N'
OutputDataSet <- data.frame(installed.packages()[,c("Package", "Version")]);'
WITH result sets((
            Package NVARCHAR(255)
            , Version NVARCHAR(100)
            ));
