EXECUTE sp_execute_external_script @language = N'R'
    , @script = N'
one <- 1
two <- 2
half <- one/two
product <- one*two
print(c(half, product))
'
