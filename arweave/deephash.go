package arweave

import (
	"crypto/sha512"
	"strconv"
)

// DeepHash computes Arweave's deep hash (SHA-384 based) of a list of blobs,
// the message every ANS-104 signature covers.
//
// A blob b hashes to SHA384(SHA384("blob"+len(b)) || SHA384(b)); a list of n
// elements starts from SHA384("list"+n) and folds each element's hash in with
// acc = SHA384(acc || hash(element)).
func DeepHash(chunks ...[]byte) [48]byte {
	return deepHashContinue(deepHashListStart(len(chunks)), chunks...)
}

// deepHashListStart is the accumulator of a list of n elements before any
// element is folded in.
func deepHashListStart(n int) [48]byte {
	return sha512.Sum384([]byte("list" + strconv.Itoa(n)))
}

// deepHashContinue folds chunks into a list accumulator.
func deepHashContinue(acc [48]byte, chunks ...[]byte) [48]byte {
	var buf [96]byte
	for _, c := range chunks {
		h := deepHashBlob(c)
		copy(buf[:48], acc[:])
		copy(buf[48:], h[:])
		acc = sha512.Sum384(buf[:])
	}
	return acc
}

func deepHashBlob(b []byte) [48]byte {
	tag := sha512.Sum384([]byte("blob" + strconv.Itoa(len(b))))
	data := sha512.Sum384(b)
	var buf [96]byte
	copy(buf[:48], tag[:])
	copy(buf[48:], data[:])
	return sha512.Sum384(buf[:])
}
