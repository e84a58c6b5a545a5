EXECUTE sp_execute_external_script @language = N'Python'
    , @script = N'
p = 1
q = 2
r = p/q
print(r)
ser = pandas.Series(r, index =["simple math example 1"])
print(ser)
'
