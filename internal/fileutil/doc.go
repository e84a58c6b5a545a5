// Package fileutil writes files the way state and key files need:
// WriteAtomic replaces a file so readers see the old or the new content,
// never a torn one; WriteNew creates a file that must not exist yet. Both
// set the mode exactly (the umask neither widens nor narrows it) and sync
// before returning.
package fileutil
