// Package workers hands out worker identities (uid/gid pairs) from a reserved
// range, one per running job, so that two concurrent jobs never share a uid.
// Callers that find the pool empty wait in FIFO order up to a timeout and then
// get ErrNoWorker.
package workers
