-- Form of: quickstart-python-create-script, "Run a simple script".
EXECUTE sp_execute_external_script @language = N'Python'
    , @script = N'
x = 3
y = 4
z = x/y
w = x*y
print(z, w)
'
