// Package token signs and verifies spanmap's read-only embed tokens.
//
// An embed token lets a wiki page or dashboard show one View of the map
// without the viewer holding spanmap credentials. It names exactly one
// View, in its canonical encoding (graph.View.Encode), and an expiry time,
// and is signed with HMAC-SHA256 under a server key:
//
//	v1.<payload>.<signature>
//
// where payload is the unpadded URL-safe base64 of "<expiry Unix
// seconds>\n<canonical View>" and signature the unpadded URL-safe base64
// of the HMAC of "v1.<payload>". Tokens therefore travel in query strings
// unescaped. Signatures are compared in constant time. Nothing is stored on
// the server: changing the key revokes every token signed with the old one.
//
// What a token grants (the embed page, the exports and the stream of its
// View, read-only) is decided by the server; this package only proves that
// a token is genuine and current.
package token
