package results

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// cursorJSON is the reference's cursor object, fields in its order.
type cursorJSON struct {
	Timestamp int64   `json:"timestamp"`
	Ordinate  string  `json:"ordinate"`
	Cron      *string `json:"cron"`
	Sort      string  `json:"sort"`
}

// EncodeCursor returns the cursor of r as the reference CU makes it:
// standard base64 of {"timestamp":<number>,"ordinate":"<nonce>",
// "cron":<"<index>-<interval>" or null>,"sort":"ASC"|"DESC"} (see the
// package doc for the cron value).
func EncodeCursor(r Record, desc bool) string {
	c := cursorJSON{Timestamp: r.Key.Timestamp, Ordinate: strconv.FormatInt(r.Key.Ordinate, 10), Sort: "ASC"}
	if desc {
		c.Sort = "DESC"
	}
	if r.Key.Cron >= 0 {
		id := strconv.Itoa(r.Key.Cron)
		if _, interval, ok := strings.Cut(r.CronID, "-"); ok {
			id += "-" + interval
		}
		c.Cron = &id
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as JSON.stringify
	_ = enc.Encode(c)        // a struct of strings and integers cannot fail
	return base64.StdEncoding.EncodeToString(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// Cursor is a decoded cursor.
type Cursor struct {
	Key Key
	// Sort is the cursor's "sort": "ASC", "DESC", or "" if it has none.
	// (The reference CU's /results lets it override the request's sort.)
	Sort string
}

// DecodeCursor decodes a cursor made by EncodeCursor or by the reference CU
// (see the package doc for what it accepts). A cursor without an ordinate
// bounds like a plain timestamp (ParseBound). Errors wrap ErrBadCursor.
func DecodeCursor(s string) (Cursor, error) {
	// Tolerate what transports do to base64: '+' read back as ' ' from a
	// query string, the URL-safe alphabet, missing padding (atob accepts
	// it too).
	clean := strings.NewReplacer(" ", "+", "-", "+", "_", "/").Replace(strings.TrimRight(s, "="))
	raw, err := base64.RawStdEncoding.DecodeString(clean)
	if err != nil {
		return Cursor{}, fmt.Errorf("%w: not base64", ErrBadCursor)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return Cursor{}, fmt.Errorf("%w: not a JSON object", ErrBadCursor)
	}
	var c Cursor
	ts, ok, err := jsonInt(fields["timestamp"])
	if err != nil || !ok {
		return Cursor{}, fmt.Errorf("%w: timestamp: missing or not an integer", ErrBadCursor)
	}
	if v, present := fields["sort"]; present && string(v) != "null" {
		var sort string
		if err := json.Unmarshal(v, &sort); err != nil {
			return Cursor{}, fmt.Errorf("%w: sort: %v", ErrBadCursor, err)
		}
		switch c.Sort = strings.ToUpper(sort); c.Sort {
		case "ASC", "DESC", "":
		default:
			return Cursor{}, fmt.Errorf("%w: sort %q", ErrBadCursor, sort)
		}
	}
	ord, ok, err := jsonInt(fields["ordinate"])
	if err != nil {
		return Cursor{}, fmt.Errorf("%w: ordinate: %v", ErrBadCursor, err)
	}
	if !ok {
		c.Key = endOf(ts)
		return c, nil
	}
	c.Key = Key{Timestamp: ts, Ordinate: ord, Cron: -1}
	if v, present := fields["cron"]; present && string(v) != "null" {
		var id string
		if err := json.Unmarshal(v, &id); err != nil {
			return Cursor{}, fmt.Errorf("%w: cron: %v", ErrBadCursor, err)
		}
		if id != "" {
			num, _, _ := strings.Cut(id, "-")
			n, err := strconv.Atoi(num)
			if err != nil || n < 0 {
				return Cursor{}, fmt.Errorf("%w: cron %q does not start with a cron index", ErrBadCursor, id)
			}
			c.Key.Cron = n
		}
	}
	return c, nil
}

// jsonInt reads an integer given as a JSON number or a decimal string; ok
// is false when v is absent, null or "".
func jsonInt(v json.RawMessage) (n int64, ok bool, err error) {
	if len(v) == 0 || string(v) == "null" {
		return 0, false, nil
	}
	text := string(v)
	if v[0] == '"' {
		if err := json.Unmarshal(v, &text); err != nil {
			return 0, false, err
		}
		if text == "" {
			return 0, false, nil
		}
	}
	n, err = strconv.ParseInt(text, 10, 64)
	return n, err == nil, err
}

// ParseBound reads a /results or /cron from or to value: a cursor
// (DecodeCursor; its sort is ignored here), or otherwise a plain decimal
// timestamp in ms.
//
// A plain timestamp ts stands for the key just after every record at ts:
// every record with timestamp ts is at or before it, every later one after
// it. So, ascending, from=ts returns records with timestamp > ts and to=ts
// records with timestamp <= ts; descending, from=ts returns records with
// timestamp <= ts and to=ts stops before the records at ts.
//
// # Why not exactly the reference?
//
// The reference compares "pid,ts" with its "pid,ts,ordinate[,cron]" ids
// as strings, so its from=ts includes the records at ts while its to=ts
// also includes them: a plain timestamp means a different point as from
// and as to. One key cannot do both; aogo's to=ts matches the reference,
// and its from=ts skips the records of that one millisecond.
func ParseBound(s string) (Key, error) {
	if ts, err := strconv.ParseInt(s, 10, 64); err == nil {
		return endOf(ts), nil
	}
	c, err := DecodeCursor(s)
	if err != nil {
		return Key{}, fmt.Errorf("%w (and not a timestamp): %q", err, s)
	}
	return c.Key, nil
}
