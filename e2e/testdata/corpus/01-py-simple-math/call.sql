-- Kept as the documentation example has it, near-copy of a sibling case included: each case is one sample, checked alone.
EXECUTE sp_execute_external_script @language = N'Python'
    , @script = N'
one = 1
two = 2
half = one/two
product = one*two
print(half, product)
'
