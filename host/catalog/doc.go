// Package catalog is the host's register of trusted launcher publishers and
// launchers, and the gate every launcher start passes through.
//
// It keeps, under the root-owned state folder: the trust store (publisher
// keys; revocations are kept, never deleted), the catalog of registered
// launchers (each pinned to a SHA-256), and an append-only audit log of every
// admin action and every refusal. Resolve verifies a launcher from scratch on
// every start (path inside the plugin folder, ownership and modes up to /,
// minisign signature by a trusted, non-revoked key, manifest language, pinned
// hash) and hands back a sealed memfd holding exactly the bytes it verified,
// so the host executes those bytes and never re-opens the path.
package catalog
