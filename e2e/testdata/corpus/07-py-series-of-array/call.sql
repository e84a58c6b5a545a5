-- Kept as the documentation example has it, near-copy of a sibling case included: each case is one sample, checked alone.
EXECUTE sp_execute_external_script @language = N'Python'
    , @script = N'
p = 1
q = 2
r = p/q
t = p*q
ser = pandas.Series([r,t])
print(ser)
'
