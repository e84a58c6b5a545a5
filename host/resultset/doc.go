// Package resultset checks a script's output data set against a declared
// result schema and converts it, like T-SQL's WITH RESULT SETS: columns take
// the declared names and types, values convert as CAST would (a float rounds
// to a decimal's scale, a string parses as the declared type), and a column
// or value that cannot convert is an error naming the column.
package resultset
