package tsql

// reserved are T-SQL's reserved keywords that can start a statement or end
// an expression; an identifier in this set is never a bare-word value, an
// alias or a procedure name.
var reserved = setOf(
	"ADD", "ALTER", "AS", "BACKUP", "BEGIN", "BREAK", "BULK", "CHECKPOINT", "CLOSE", "COMMIT",
	"CONTINUE", "CREATE", "DBCC", "DEALLOCATE", "DECLARE", "DELETE", "DENY", "DISABLE", "DROP",
	"ELSE", "ENABLE", "END", "EXEC", "EXECUTE", "FETCH", "FROM", "GOTO", "GRANT", "IF", "INSERT",
	"KILL", "MERGE", "NULL", "OPEN", "OUT", "OUTPUT", "PRINT", "RAISERROR", "READTEXT", "RECONFIGURE",
	"RESTORE", "RETURN", "REVERT", "REVOKE", "ROLLBACK", "SAVE", "SELECT", "SET", "SETUSER",
	"SHUTDOWN", "THROW", "TRUNCATE", "UPDATE", "UPDATETEXT", "USE", "WAITFOR", "WHILE", "WITH",
	"WRITETEXT", "DEFAULT", "WHERE", "INTO", "VALUES",
)

// ddl are statements named by their keyword and the object words after it.
var ddl = setOf("CREATE", "ALTER", "DROP", "TRUNCATE", "ENABLE", "DISABLE", "BULK", "BEGIN", "GRANT", "DENY", "REVOKE")

// objectWords follow a DDL keyword in a statement's name: CREATE OR ALTER
// PROCEDURE, DROP TABLE, BEGIN TRANSACTION.
var objectWords = setOf(
	"OR", "ALTER", "TABLE", "PROC", "PROCEDURE", "VIEW", "FUNCTION", "INDEX", "UNIQUE", "CLUSTERED",
	"NONCLUSTERED", "TRIGGER", "SCHEMA", "DATABASE", "TYPE", "EXTERNAL", "LIBRARY", "LANGUAGE",
	"RESOURCE", "POOL", "USER", "LOGIN", "ROLE", "SEQUENCE", "SYNONYM", "STATISTICS", "INSERT",
	"TRAN", "TRANSACTION", "TRY", "CATCH", "DISTRIBUTED", "ASSEMBLY", "CERTIFICATE", "CREDENTIAL",
)

// selectClauses can follow a SELECT list; --tsql selects variables only.
var selectClauses = setOf("FROM", "WHERE", "INTO", "GROUP", "ORDER", "HAVING", "UNION", "EXCEPT",
	"INTERSECT", "OPTION", "FOR")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
