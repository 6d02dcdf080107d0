package arweave

import "errors"

// Errors returned by this package. They are wrapped with details, so test
// for them with errors.Is.
var (
	// ErrMalformed reports bytes that are not a well-formed ANS-104 data
	// item or bundle. The wrapping error says which part is wrong.
	ErrMalformed = errors.New("arweave: malformed data item")
	// ErrInvalidSignature reports a well-formed item whose signature does
	// not verify against its owner.
	ErrInvalidSignature = errors.New("arweave: invalid signature")
	// ErrUnsupportedSignatureType reports a signature type this package
	// cannot verify or sign (only 1, 2 and 3 are supported).
	ErrUnsupportedSignatureType = errors.New("arweave: unsupported signature type")
	// ErrInvalidWallet reports a wallet file or key that cannot be used.
	ErrInvalidWallet = errors.New("arweave: invalid wallet")
	// ErrNotFound is returned by a Store for an id it does not hold.
	ErrNotFound = errors.New("arweave: not found")
	// ErrBadCursor is returned by Store.Query and Store.Blocks for an
	// "after" cursor the store did not issue.
	ErrBadCursor = errors.New("arweave: bad cursor")
	// ErrTooLarge is returned when an item or body is over a configured limit.
	ErrTooLarge = errors.New("arweave: too large")
)
