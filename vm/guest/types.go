package guest

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
)

// Tag is one name/value pair, spelled {"name":…,"value":…} in AO JSON.
type Tag struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Tags is an ordered tag list. AO allows a name to repeat; the helpers
// return the first match. Names compare exactly (case-sensitive), as
// Arweave stores them.
type Tags []Tag

// Lookup returns the value of the first tag called name, and whether there
// was one.
func (t Tags) Lookup(name string) (string, bool) {
	for _, tag := range t {
		if tag.Name == name {
			return tag.Value, true
		}
	}
	return "", false
}

// Get returns the value of the first tag called name, or "" if there is
// none. Use Lookup to tell a missing tag from an empty one.
func (t Tags) Get(name string) string {
	v, _ := t.Lookup(name)
	return v
}

// Message is the message a process is asked to handle (protocol.md §7.2).
//
// Fields that the JSON leaves out or sets to null are zero. Which fields
// are present depends on the kind of message: a cron message has no ID,
// Signature, Anchor or Data; a dry-run has ReadOnly set; the first message
// of a process is the process item itself. The four numbers may be JSON
// numbers or decimal strings; a Data that is not a JSON string holds that
// value's compact JSON text.
type Message struct {
	ID          string `json:"Id"`
	Owner       string `json:"Owner"`  // the signer's address
	From        string `json:"From"`   // the From-Process tag of a pushed message, else Owner
	Target      string `json:"Target"` // the process id, or the recipient of an assigned transaction
	Anchor      string `json:"Anchor"`
	Signature   string `json:"Signature"`
	Tags        Tags   `json:"Tags"`
	Data        string `json:"Data"`
	Epoch       int64  `json:"Epoch"`
	Nonce       int64  `json:"Nonce"`     // position of the message in the process's schedule
	Timestamp   int64  `json:"Timestamp"` // milliseconds since the Unix epoch, from the assignment
	BlockHeight int64  `json:"Block-Height"`
	HashChain   string `json:"Hash-Chain"`
	ForwardedBy string `json:"Forwarded-By"`
	Cron        bool   `json:"Cron"`
	ReadOnly    bool   `json:"Read-Only"` // a dry-run, whose effects are discarded

	// Raw is the message JSON exactly as the host passed it. It holds every
	// field, including ones this struct does not name, for handlers that do
	// their own decoding. It may be kept after the handler returns. The
	// struct tags give the AO spelling of each field, so encoding a Message
	// writes AO JSON (without Raw).
	Raw []byte `json:"-"`
}

// Item names a process or module in the env: the id, owner and tags of its
// Arweave transaction or data item.
type Item struct {
	ID    string `json:"Id"`
	Owner string `json:"Owner"`
	Tags  Tags   `json:"Tags"`
}

// Env describes the process the message is for and the module it runs
// (protocol.md §7.3). It is the same for every message of a process.
type Env struct {
	Process Item `json:"Process"`
	Module  Item `json:"Module"`

	// Raw is the env JSON exactly as the host passed it.
	Raw []byte `json:"-"`
}

// Response is what a handler returns: the AO result of one message.
type Response struct {
	// Output is the message's visible result. Any value encoding/json can
	// encode works; AO clients usually expect a string, and aos returns an
	// object such as {"data": …, "prompt": …}. A nil Output is left out of
	// the result JSON.
	Output any

	// Messages are sent on to other processes by the messenger unit.
	Messages []OutMessage
	// Spawns each create a new process.
	Spawns []Spawn
	// Assignments schedule existing messages onto other processes.
	Assignments []Assignment

	// Error marks the message as failed. A compute unit keeps the process
	// state from before the message when Error is set, as AO's does.
	// Returning a non-nil error from the handler sets it too.
	Error string
}

// OutMessage is a message the process sends.
//
// NB: the reference messenger unit does not push an outbox message that has
// no Anchor. aos sets it to a 32-digit zero-padded counter of the messages
// the process has sent (and adds a Reference tag with the same counter);
// the SDK leaves it to the handler.
type OutMessage struct {
	Target string `json:"Target"`
	Anchor string `json:"Anchor,omitempty"`
	Data   string `json:"Data"`
	Tags   Tags   `json:"Tags,omitempty"`
}

// Spawn asks for a new process. Its Tags name the Module (and usually the
// Scheduler) of the child, as an AO Process item's tags do.
type Spawn struct {
	Anchor string `json:"Anchor,omitempty"`
	Data   string `json:"Data"`
	Tags   Tags   `json:"Tags,omitempty"`
}

// Assignment asks for the message with id Message to be scheduled onto
// each of Processes as well.
type Assignment struct {
	Processes []string `json:"Processes"`
	Message   string   `json:"Message"`
}

// wireMessage is the JSON shape of Message. The numbers are decoded by
// flexInt because the host may spell them as JSON numbers or as decimal
// strings (Arweave tags carry them as strings), and Data by flexString
// because it may be null.
type wireMessage struct {
	ID          string     `json:"Id"`
	Owner       string     `json:"Owner"`
	From        string     `json:"From"`
	Target      string     `json:"Target"`
	Anchor      string     `json:"Anchor"`
	Signature   string     `json:"Signature"`
	Tags        Tags       `json:"Tags"`
	Data        flexString `json:"Data"`
	Epoch       flexInt    `json:"Epoch"`
	Nonce       flexInt    `json:"Nonce"`
	Timestamp   flexInt    `json:"Timestamp"`
	BlockHeight flexInt    `json:"Block-Height"`
	HashChain   string     `json:"Hash-Chain"`
	ForwardedBy string     `json:"Forwarded-By"`
	Cron        bool       `json:"Cron"`
	ReadOnly    bool       `json:"Read-Only"`
}

// DecodeMessage decodes an AO message JSON object. The handle export uses
// it; it is exported for handlers registered with HandleRaw and for tests.
// The result's Raw is raw itself, not a copy.
func DecodeMessage(raw []byte) (Message, error) {
	if m, ok := fastMessage(raw); ok {
		return m, nil
	}
	return decodeMessageJSON(raw)
}

// decodeMessageJSON is DecodeMessage by encoding/json alone: the fallback
// of the fast decoder and the reference it is tested against.
func decodeMessageJSON(raw []byte) (Message, error) {
	var w wireMessage
	if err := json.Unmarshal(raw, &w); err != nil {
		return Message{}, err
	}
	return Message{
		ID:          w.ID,
		Owner:       w.Owner,
		From:        w.From,
		Target:      w.Target,
		Anchor:      w.Anchor,
		Signature:   w.Signature,
		Tags:        w.Tags,
		Data:        string(w.Data),
		Epoch:       int64(w.Epoch),
		Nonce:       int64(w.Nonce),
		Timestamp:   int64(w.Timestamp),
		BlockHeight: int64(w.BlockHeight),
		HashChain:   w.HashChain,
		ForwardedBy: w.ForwardedBy,
		Cron:        w.Cron,
		ReadOnly:    w.ReadOnly,
		Raw:         raw,
	}, nil
}

// DecodeEnv decodes an AO env JSON object. The result's Raw is raw itself.
func DecodeEnv(raw []byte) (Env, error) {
	if e, ok := fastEnv(raw); ok {
		return e, nil
	}
	return decodeEnvJSON(raw)
}

// decodeEnvJSON is DecodeEnv by encoding/json alone.
func decodeEnvJSON(raw []byte) (Env, error) {
	var e Env
	if err := json.Unmarshal(raw, &e); err != nil {
		return Env{}, err
	}
	e.Raw = raw
	return e, nil
}

// errNotInteger is returned for a number field that holds neither an
// integer nor a decimal string.
var errNotInteger = errors.New("guest: not an integer")

// parseInt reads the text of a number field: a decimal integer, or a float
// with an integral value in range (JavaScript writes large or computed
// integers as 1.7e12).
func parseInt(s string) (int64, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	// NB: the range check comes before the conversion: converting NaN, an
	// infinity or an out-of-range float to int64 gives an
	// implementation-defined value in Go, which could differ between the
	// module and a test on the host.
	if err != nil || !(f >= -(1<<63) && f < 1<<63) || f != math.Trunc(f) {
		return 0, errNotInteger
	}
	return int64(f), nil
}

// flexInt is an int64 that decodes from a JSON number, a decimal string or
// null (which leaves it unchanged).
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := parseInt(s)
	if err != nil {
		return err
	}
	*n = flexInt(v)
	return nil
}

// flexString is a string that decodes from a JSON string or null (which
// leaves it unchanged); any other JSON value is kept as its compact JSON
// text.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		return nil
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, (*string)(s))
	default:
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return err
		}
		*s = flexString(buf.String())
		return nil
	}
}
