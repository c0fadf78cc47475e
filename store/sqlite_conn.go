package store

import (
	"context"
	"database/sql/driver"
	"reflect"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// connectorWithoutMutex opens SQLite connections in SQLite's multi-thread
// mode rather than its serialized one.
//
// The driver opens every connection serialized (SQLITE_OPEN_FULLMUTEX):
// each call into SQLite, down to reading one column of one row, takes and
// leaves the connection's recursive mutex, and the translated C's mutexes
// are atomics around a Go mutex. database/sql already keeps a connection
// and its statements to one goroutine at a time, which is all SQLite's
// multi-thread mode asks, so that mutex guards nothing here; taking and
// leaving it was nearly a fifth of the server's CPU profile on a page of
// contacts (docs/benchmarks.md).
// The driver has no setting for it, so each new connection has its mutex
// taken out as SQLITE_OPEN_NOMUTEX would have left it: none. The one call
// the driver makes on a connection from another goroutine,
// sqlite3_interrupt when a context ends, takes no mutex in either mode.
type connectorWithoutMutex struct{ driver.Connector }

func newConnectorWithoutMutex(dsn string) (driver.Connector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return connectorWithoutMutex{c}, nil
}

func (c connectorWithoutMutex) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	dropConnectionMutex(conn)
	return conn, nil
}

// dropConnectionMutex takes the mutex out of a connection the driver just
// opened, before anything else uses it. Should a later driver keep its
// handle elsewhere, the connection stays serialized (slower, as safe), and
// TestSQLiteConnectionsHaveNoMutex fails.
func dropConnectionMutex(conn driver.Conn) {
	tls := libc.NewTLS()
	defer tls.Close()
	handle, mutex, ok := connectionMutex(tls, conn)
	if !ok || mutex == 0 {
		return
	}
	// The handle points into the driver's C heap, which Go's collector
	// neither scans nor moves.
	db := (*sqlite3.Tsqlite3)(*(*unsafe.Pointer)(unsafe.Pointer(&handle)))
	db.Fmutex = 0
	sqlite3.Xsqlite3_mutex_free(tls, mutex)
}

// connectionMutex returns a driver connection's SQLite handle and the
// mutex SQLite keeps for it (0: none, multi-thread mode); ok is false when
// the handle cannot be read (sqliteHandle).
func connectionMutex(tls *libc.TLS, conn any) (handle, mutex uintptr, ok bool) {
	if handle, ok = sqliteHandle(conn); !ok {
		return 0, 0, false
	}
	return handle, sqlite3.Xsqlite3_db_mutex(tls, handle), true
}

// sqliteHandle reads a driver connection's SQLite handle (sqlite3*) from
// the driver's own field, which it does not export.
func sqliteHandle(conn any) (uintptr, bool) {
	v := reflect.ValueOf(conn)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return 0, false
	}
	field := v.Elem().FieldByName("db")
	if !field.IsValid() || field.Kind() != reflect.Uintptr || field.Uint() == 0 {
		return 0, false
	}
	return uintptr(field.Uint()), true
}
