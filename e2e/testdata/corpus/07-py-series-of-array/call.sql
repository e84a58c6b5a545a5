EXECUTE sp_execute_external_script @language = N'Python'
    , @script = N'
p = 1
q = 2
r = p/q
t = p*q
ser = pandas.Series([r,t])
print(ser)
'
