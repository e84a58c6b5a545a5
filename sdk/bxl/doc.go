// Package bxl implements BXL v1, Launchpad's binary exchange format for the data
// plane between the host and a language runtime (docs/bxl.md): frames, schemas,
// Arrow-layout record batches, params blocks and dictionaries.
//
// Decoding is zero copy and treats its input as hostile: DecodeBatch checks every
// rule of the spec before any buffer is exposed, and every decode error wraps
// ErrProtocol. Writer.WriteBatch sends column buffers with a vectored write and
// never concatenates them.
//
// Values cross into Go (Column.Value, Builder.Append) with this mapping; NULL is nil:
//
//	bool           bool
//	int8..int64    int8, int16, int32, int64
//	float32/64     float32, float64
//	decimal        Decimal (unscaled int128 and the column's scale)
//	string         string
//	binary         []byte
//	date           time.Time, UTC midnight
//	time           time.Duration since midnight
//	datetime       time.Time in UTC carrying the naive wall clock
//	datetimeoffset time.Time in a time.FixedZone named "+hh:mm" of the value's offset
//	uuid           UUID
//
// Builder.Append also accepts: any Go integer type (range checked) for integer,
// float and decimal columns; float32 for float64 columns; []byte for string
// columns (must be valid UTF-8) and string for binary; string for decimal and
// uuid; [16]byte for uuid; time.Time for date (its calendar date in its own
// location), time (its clock), datetime (its wall clock in its own location) and
// datetimeoffset (its instant and zone offset, which must be whole minutes within
// ±14:00). Sub-microsecond parts are truncated.
package bxl
