EXECUTE sp_execute_external_script @language = N'Python',
@script = N'print("Hello, World!")';
GO
