EXECUTE sp_execute_external_script @language = N'Python'
    , @script = N'
one = 1
two = 2
half = one/two
product = one*two
print(half, product)
'
