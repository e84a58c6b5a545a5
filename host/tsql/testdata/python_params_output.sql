-- Form of: run-python-using-t-sql (advanced-analytics tutorials), OUTPUT
-- params read back with a final SELECT; the binding names differ in case
-- from the declarations, as in the original.
DECLARE @Counter INT = 41
DECLARE @Label VARCHAR(8) = 'before  '

EXECUTE sp_execute_external_script
@language = N'Python',
@script = N'
if Counter == 41:
    Counter = Counter + 1
else:
    Counter = -1
Label = "it''s ok!"
print("counter is", Counter)
',
@params = N'@Counter INT OUTPUT, @Label CHAR(8) OUTPUT',
@counter = @Counter OUTPUT,
@label = @Label OUTPUT

SELECT @Counter AS Counter, @Label AS Label;
