package job

// Identity is who asked for a job, as the API authenticated it.
type Identity struct {
	// Name is the user's name on the unix socket, or the client
	// certificate's common name over TLS.
	Name string
	// UID is the peer's uid on the unix socket; -1 over TLS.
	UID int
	// Groups are the names of the peer's groups on the unix socket.
	Groups []string
	// Cert is the client certificate's common name over TLS; "" on the
	// unix socket.
	Cert string
}

// Access is what the caller's grant lets a job do with data. A Request
// without one (an in-process caller) is unrestricted.
type Access struct {
	// ReadTables and WriteTables name the instance's tables the job may
	// read (input and param queries, queries a script makes) and write
	// (write-back); "*" is every table.
	ReadTables, WriteTables []string
	// Login is the SQL Server login input queries and write-back run as
	// (EXECUTE AS LOGIN); "" runs them as the host's own login.
	Login string
}
