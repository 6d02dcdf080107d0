package guest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/aogo-dev/aogo/internal/jsonstr"
)

// HandlerFunc handles one message. A non-nil error fails the message: the
// result then carries only Error = err.Error(), and the Response is
// dropped (an error from Throw gives an ok:false result instead). A panic
// is recovered and reported as an Error too, "panic: <value>".
type HandlerFunc func(msg Message, env Env) (Response, error)

// RawHandlerFunc handles one message without the SDK's JSON decoding: msg
// and env are the JSON objects exactly as the host passed them, and the
// returned bytes are the complete result document,
// {"ok":true,"response":{…}} (see the package documentation). The SDK does
// not check it. A panic is still recovered and reported as an Error result.
type RawHandlerFunc func(msg, env []byte) []byte

// Errors reported in a result. They reach the host as text, inside the
// result JSON.
var (
	errNoHandler         = errors.New("guest: no handler registered (call guest.Handle from an init function)")
	errAlreadyRegistered = errors.New("guest: a handler is already registered")
	errNilHandler        = errors.New("guest: nil handler")
)

// handler is the registered handler; exactly one of its fields is set
// after registration. It is written only by package initialisers (before
// the host's first call) and read by Invoke.
var handler struct {
	typed HandlerFunc
	raw   RawHandlerFunc
}

// panicLog receives the stack of a recovered panic. In a module it is
// standard error, which the host captures.
var panicLog io.Writer = os.Stderr

// Handle registers f as the module's message handler. Call it once, from
// an init function of the main package: a wasip1 reactor runs package
// initialisers when the host calls _initialize, and never runs main.
//
// It panics if a handler is already registered or f is nil; in a module
// that makes _initialize fail, so the mistake shows when the module loads.
func Handle(f HandlerFunc) {
	if f == nil {
		panic(errNilHandler)
	}
	register()
	handler.typed = f
}

// HandleRaw registers f as the module's message handler, for authors who
// decode and encode JSON themselves. The rules of Handle apply.
func HandleRaw(f RawHandlerFunc) {
	if f == nil {
		panic(errNilHandler)
	}
	register()
	handler.raw = f
}

func register() {
	if handler.typed != nil || handler.raw != nil {
		panic(errAlreadyRegistered)
	}
}

// Invoke runs the registered handler on one message and returns the result
// document, exactly as the module's handle export does minus the memory
// management and the final yield. It exists so that a module's handler can
// be tested on the host with go test:
//
//	res := guest.Invoke([]byte(`{"Id":"m1","Tags":[{"name":"Action","value":"Inc"}]}`), []byte(`{}`))
//
// Invoke never panics. A message or env that is not valid JSON gives
// {"ok":false,"response":"<reason>"}: that is a fault of the host, not of
// the message.
func Invoke(msg, env []byte) (result []byte) {
	defer func() {
		if v := recover(); v != nil {
			// The stack goes to stderr, the message into the result; a
			// trace is for the module author, not for the AO result.
			fmt.Fprintf(panicLog, "guest: recovered panic: %v\n%s", v, debug.Stack())
			result = encodeResponse(Response{Error: fmt.Sprintf("panic: %v", v)})
		}
	}()
	switch {
	case handler.raw != nil:
		return handler.raw(msg, env)
	case handler.typed != nil:
		m, err := DecodeMessage(msg)
		if err != nil {
			return encodeFailure(fmt.Errorf("guest: decoding message: %w", err))
		}
		e, err := DecodeEnv(env)
		if err != nil {
			return encodeFailure(fmt.Errorf("guest: decoding env: %w", err))
		}
		resp, err := handler.typed(m, e)
		var t *thrown
		if errors.As(err, &t) {
			return encodeThrown(t.value)
		}
		if err != nil {
			text := err.Error()
			if text == "" {
				text = "error"
			}
			resp = Response{Error: text}
		}
		return encodeResponse(resp)
	default:
		return encodeFailure(errNoHandler)
	}
}

// Throw returns an error that fails the message the way a thrown exception
// fails an emscripten module: the result is {"ok":false,"response":value}
// instead of an ok result with an Error. AO compute units treat both as a
// failed message whose error is value; most handlers should simply return
// an error. The error may be wrapped. If value cannot be encoded as JSON,
// the message fails with an ordinary Error saying so.
func Throw(value any) error { return &thrown{value: value} }

// thrown is the error Throw returns.
type thrown struct{ value any }

func (t *thrown) Error() string { return fmt.Sprintf("guest: thrown %v", t.value) }

// encodeThrown returns {"ok":false,"response":value}.
func encodeThrown(value any) []byte {
	v, err := marshal(value)
	if err != nil {
		return encodeResponse(Response{Error: "guest: encoding thrown value: " + err.Error()})
	}
	b := append([]byte(nil), `{"ok":false,"response":`...)
	b = append(b, v...)
	return append(b, '}')
}

// EncodeResponse returns the result document of r, {"ok":true,"response":…},
// for handlers registered with HandleRaw that build a Response after all.
// If r cannot be encoded (an Output encoding/json rejects), the document
// carries that failure as its Error.
func EncodeResponse(r Response) []byte { return encodeResponse(r) }

func encodeResponse(r Response) []byte {
	b, err := appendResult(make([]byte, 0, 128), r)
	if err != nil {
		b, _ = appendResult(nil, Response{Error: "guest: encoding response: " + err.Error()})
	}
	return b
}

// encodeFailure returns {"ok":false,"response":"<err>"}.
func encodeFailure(err error) []byte {
	b := append([]byte(nil), `{"ok":false,"response":`...)
	b = jsonstr.AppendGo(b, err.Error())
	return append(b, '}')
}

// marshal is json.Marshal without HTML escaping, so that strings come out
// as JavaScript's JSON.stringify writes them.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
