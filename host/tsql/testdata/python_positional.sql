-- Form of: positional arguments in the documented order.
EXEC sp_execute_external_script N'Python', N'print("positional")'
GO
