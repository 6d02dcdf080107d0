package cu

import "github.com/aogo-dev/aogo/internal/jsonstr"

// jsStr is a string that encodes as JavaScript's JSON.stringify writes it,
// which is what the reference loader hands to handle(): <, > and & as
// themselves (encoding/json escapes them), U+2028 and U+2029 as
// themselves (encoding/json escapes them always), \b \f \n \r \t as short
// escapes and other control characters as \u00xx (jsonstr.Append). Bytes
// that are not UTF-8 become U+FFFD per maximal subpart, as the SU's JSON delivers
// them to a reference CU. The same string so gives the same bytes in
// memory as under a reference CU.
//
// NB: this relies on the encoder running with SetEscapeHTML(false)
// (mustJSON): only then does encoding/json keep a MarshalJSON result's
// bytes as they are.
type jsStr string

func (s jsStr) MarshalJSON() ([]byte, error) { return jsonstr.Append(nil, string(s)), nil }
