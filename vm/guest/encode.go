package guest

import (
	"github.com/aogo-dev/aogo/internal/jsonstr"
)

// The result document is written by hand for the same reason the input
// is read by hand (see decode.go): encoding/json costs about 15 µs in
// wazero for the smallest result. The output must be exactly what
// encoding/json writes for the equivalent structs with HTML escaping off;
// FuzzEncodeResponse checks that against the struct shape in
// guest_test.go (wireResponse).

// appendResult appends {"ok":true,"response":{…}} for r. Only a non-string
// Output goes through encoding/json, and only its error is returned.
func appendResult(dst []byte, r Response) ([]byte, error) {
	dst = append(dst, `{"ok":true,"response":{`...)
	switch out := r.Output.(type) {
	case nil:
	case string:
		dst = append(dst, `"Output":`...)
		dst = jsonstr.AppendGo(dst, out)
		dst = append(dst, ',')
	default:
		b, err := marshal(out)
		if err != nil {
			return nil, err
		}
		dst = append(dst, `"Output":`...)
		dst = append(dst, b...)
		dst = append(dst, ',')
	}
	dst = append(dst, `"Messages":[`...)
	for i, m := range r.Messages {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"Target":`...)
		dst = jsonstr.AppendGo(dst, m.Target)
		if m.Anchor != "" {
			dst = append(dst, `,"Anchor":`...)
			dst = jsonstr.AppendGo(dst, m.Anchor)
		}
		dst = append(dst, `,"Data":`...)
		dst = jsonstr.AppendGo(dst, m.Data)
		dst = appendTags(dst, m.Tags)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"Spawns":[`...)
	for i, s := range r.Spawns {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		if s.Anchor != "" {
			dst = append(dst, `"Anchor":`...)
			dst = jsonstr.AppendGo(dst, s.Anchor)
			dst = append(dst, ',')
		}
		dst = append(dst, `"Data":`...)
		dst = jsonstr.AppendGo(dst, s.Data)
		dst = appendTags(dst, s.Tags)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"Assignments":[`...)
	for i, a := range r.Assignments {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"Processes":`...)
		if a.Processes == nil {
			dst = append(dst, "null"...)
		} else {
			dst = append(dst, '[')
			for j, p := range a.Processes {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = jsonstr.AppendGo(dst, p)
			}
			dst = append(dst, ']')
		}
		dst = append(dst, `,"Message":`...)
		dst = jsonstr.AppendGo(dst, a.Message)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	if r.Error != "" {
		dst = append(dst, `,"Error":`...)
		dst = jsonstr.AppendGo(dst, r.Error)
	}
	return append(dst, "}}"...), nil
}

// appendTags appends ,"Tags":[…] unless tags is empty (the field is
// omitempty).
func appendTags(dst []byte, tags Tags) []byte {
	if len(tags) == 0 {
		return dst
	}
	dst = append(dst, `,"Tags":[`...)
	for i, t := range tags {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"name":`...)
		dst = jsonstr.AppendGo(dst, t.Name)
		dst = append(dst, `,"value":`...)
		dst = jsonstr.AppendGo(dst, t.Value)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}
