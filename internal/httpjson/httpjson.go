// Package httpjson writes the JSON answers of aogo's units: a value, or
// an error as {"error": "..."}, the shape every AO unit uses.
package httpjson

import (
	"encoding/json"
	"net/http"
)

// Write answers v as JSON with status.
func Write(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// NB: units write plain structs, maps and strings; Marshal fails on
		// none of them.
		status, b = http.StatusInternalServerError, []byte(`{"error":"cannot encode the response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Error answers {"error": msg} with status.
func Error(w http.ResponseWriter, status int, msg string) {
	Write(w, status, map[string]string{"error": msg})
}
