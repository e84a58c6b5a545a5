// Package signing holds Launchpad's publisher keys, launcher manifests and the
// signatures over them. Keys and signatures use minisign's formats (Ed25519,
// through aead.dev/minisign), so an administrator can check any launcher by
// hand with the standard minisign tool, and a launcher signed with
// `minisign -S -t "<manifest>"` verifies in Launchpad.
//
// A manifest (name, languages, version, launcher API version, SHA-256 of the
// binary) travels in the signature's trusted comment, which minisign signs
// together with the file's signature: a signature therefore cannot be replayed
// for another binary, name or language.
package signing
