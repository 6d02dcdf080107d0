package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	graphql "github.com/graph-gophers/graphql-go"
)

// graphQLRequest is the body of POST /graphql.
type graphQLRequest struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
}

// graphQL answers POST /graphql (a JSON body {query, variables,
// operationName}) and GET /graphql?query=&variables=&operationName=.
//
// A request that is not a GraphQL request at all (no body, not JSON, no
// query) gets a 4xx with {"error"}. A GraphQL request gets 200 with
// {"data","errors"} as GraphQL servers answer, even when the query does not
// validate, except when a resolver met a store failure: that is a 500, so
// that clients retry, with the same GraphQL body plus "error".
func (g *Gateway) graphQL(w http.ResponseWriter, r *http.Request) {
	var req graphQLRequest
	if r.Method == http.MethodGet {
		if len(r.URL.RawQuery) > MaxGraphQLBytes {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("query string is larger than %d bytes", MaxGraphQLBytes))
			return
		}
		q := r.URL.Query()
		req.Query = q.Get("query")
		req.OperationName = q.Get("operationName")
		if v := q.Get("variables"); v != "" {
			req.Variables = json.RawMessage(v)
		}
	} else {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxGraphQLBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("GraphQL request is larger than %d bytes", MaxGraphQLBytes))
				return
			}
			writeError(w, http.StatusBadRequest, "cannot read the request body: "+err.Error())
			return
		}
		body = bytes.TrimSpace(body)
		if len(body) == 0 {
			writeError(w, http.StatusBadRequest, `empty body: want a JSON object {"query": ..., "variables": ...}`)
			return
		}
		if body[0] != '{' {
			writeError(w, http.StatusBadRequest, `body is not a JSON object {"query": ..., "variables": ...} (batched requests are not supported)`)
			return
		}
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, "body is not a GraphQL request: "+err.Error())
			return
		}
	}
	if req.Query == "" {
		writeError(w, http.StatusBadRequest, `missing "query"`)
		return
	}
	vars, err := decodeVariables(req.Variables)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}

	resp := g.schema.Exec(r.Context(), req.Query, req.OperationName, vars)

	var body struct {
		Error string `json:"error,omitempty"`
		// NB: embedding the response keeps its "data", "errors" and
		// "extensions" fields exactly as graphql-go encodes them.
		*graphql.Response
	}
	body.Response = resp
	status := http.StatusOK
	for _, qe := range resp.Errors {
		var ie *internalError
		if errors.As(qe.ResolverError, &ie) {
			g.log.ErrorContext(r.Context(), "gateway: store failure in GraphQL", "path", qe.Path, "err", ie.err)
			status, body.Error = http.StatusInternalServerError, ie.Error()
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		g.fail(w, r, fmt.Errorf("encode GraphQL response: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// decodeVariables decodes the variables of a request: a JSON object, null,
// or (as some clients send it) a string holding a JSON object.
func decodeVariables(raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf(`"variables" is not valid JSON: %v`, err)
		}
		raw = bytes.TrimSpace([]byte(s))
		if len(raw) == 0 || string(raw) == "null" {
			return nil, nil
		}
	}
	var vars map[string]any
	if err := json.Unmarshal(raw, &vars); err != nil {
		return nil, fmt.Errorf(`"variables" is not a JSON object: %v`, err)
	}
	return vars, nil
}
