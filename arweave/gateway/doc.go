// Package gateway serves the subset of the Arweave gateway HTTP API that AO
// units and clients use, over any arweave.Store: the embedded store makes a
// self-contained node, the remote store a caching proxy.
//
// # Routes
//
//	GET  /  and  GET /info     network info, as arlocal answers it:
//	                           {"network","version","release","height","current",
//	                            "blocks","peers","queue_length","node_state_latency"}
//	GET|HEAD /{id}             the data of an item, with the Content-Type of its
//	GET|HEAD /raw/{id}         Content-Type tag (default application/octet-stream);
//	                           Range requests are honoured
//	GET  /tx/{id}              the item as Arweave format-2 transaction JSON (tag
//	                           names and values b64url), plus "bundledIn" if known
//	GET  /tx/{id}/status       200 {"block_height","block_indep_hash",
//	                           "number_of_confirmations"} once mined; 202 "Pending"
//	GET  /tx/{id}/data         the data as b64url text
//	POST /tx                   a raw signed ANS-104 data item (octet-stream), as a
//	POST /tx/arweave           bundler takes it: 200 {"id","timestamp"}
//	GET|POST /mine[/{n}]       mine n blocks (default 1; 1 to MaxMineBlocks) if
//	                           the store is an arweave.Miner; answers like /info
//	GET  /block/height/{h}     {"indep_hash","height","timestamp","previous_block"}
//	GET  /block/hash/{id}
//	POST /graphql              GraphQL: {"query","variables","operationName"}
//	GET  /graphql?query=&variables=&operationName=
//	OPTIONS *                  CORS preflight (every answer carries
//	                           Access-Control-Allow-Origin: *)
//
// Every error is JSON {"error": "..."} with a 4xx or 5xx status: 400 for bad
// input (a malformed id, an item that does not parse or verify), 404 for an
// unknown id or route, 413 for a body over its limit, 500 when the store
// fails (the cause goes to Config.Logger, not to the client).
//
// # GraphQL
//
// The schema is the part of arweave.net's that AO clients query, with the
// same names, argument types and defaults: transaction(id),
// transactions(ids, owners, recipients, tags, bundledIn, block, first,
// after, sort), block(id) and blocks(ids, height, first, after, sort). It
// answers unchanged the queries of aoconnect (module lookup at spawn),
// scheduler-utils (process scheduler and Scheduler-Location lookups) and the
// reference CU (transaction metadata, blocks, checkpoints). Fees and
// quantities are always zero; anchor, signature and owner.key are b64url.
// Query errors are answered as GraphQL servers do: 200 with {"errors"}. A
// store failure met while resolving is a 500, so that clients retry; its
// body is the GraphQL response plus "error".
//
// # POST /tx
//
// The body must be one raw ANS-104 data item (at most Config.MaxItemBytes).
// It is parsed and its signature verified; if its tags mark it as an
// ANS-104 bundle, every nested item (recursively) is parsed and verified as
// well, because stores index nested items without checking them. Any
// failure is a 400 and nothing is stored. When the answer is 200 the item
// (and every nested item) is readable through every route, before any
// block is mined. JSON Arweave transactions are not accepted.
//
// # Usage
//
//	store, err := embedded.Open(embedded.Config{Dir: dir, Signer: wallet})
//	if err != nil { ... }
//	defer store.Close()
//	srv := &http.Server{Addr: ":1984", Handler: gateway.New(store, gateway.Config{Logger: log})}
//	err = srv.ListenAndServe()
//
// # Not supported
//
// Arweave JSON transactions and chunk uploads (POST /tx with JSON, /chunk),
// wallets and prices (/wallet, /price, /tx_anchor), path manifests, batched
// GraphQL requests, and the arweave.net GraphQL extras AO does not use
// (ingested_at, tag match modes, bundle data items).
package gateway
