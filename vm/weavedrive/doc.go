// Package weavedrive serves WeaveDrive files to AO processes from an
// arweave.Store: a [Drive] implements vm.Drive. The vm keeps the file
// descriptors, positions and reads; this package decides which files exist
// and what their bytes are.
//
// # Usage
//
//	drive := weavedrive.New(store, weavedrive.Config{Logger: log})
//	rt, err := vm.New(ctx, vm.Config{Drive: drive, ...})
//
// # Paths
//
// A path is parsed exactly; anything else is not found (an error wrapping
// arweave.ErrNotFound, so fopen returns NULL):
//
//	/data/<id>      the data of the item or transaction <id>
//	/tx/<id>        its header: the JSON of the gateway's GET /tx/{id}, plus
//	                "ownerAddress" (b64url(SHA-256(owner))), as the
//	                reference builds it; no trailing newline
//	/block/<height> the JSON of the gateway's GET /block/height/{h}, byte for
//	                byte (with its trailing newline)
//
// <id> is 43 characters of canonical unpadded base64url (32 bytes whose
// encoding is exactly <id>); <height> is a decimal int64 with no sign and
// no leading zero. /headers, trailing slashes, extra segments and
// everything else are not found.
//
// # Attachment
//
// As the reference CU attaches WeaveDrive to a module: the module must carry
// the tag Extension: WeaveDrive or have Module-Format
// wasm64-unknown-emscripten-draft_2024_02_15 (the CU's WASM_64_FORMAT,
// always attached). Otherwise every path is not found, as a module without
// the extension sees it.
//
// # Admissibility of /data
//
// The rules of @permaweb/weavedrive (aos:extensions/weavedrive/src/index.js,
// checkAdmissible), in its order, against Store.Query instead of a gateway's
// GraphQL. Tag values are those of the env of the message being evaluated;
// a single-valued tag takes its last value, as the reference's getTagValue
// does.
//
//  1. The process's On-Boot tag names the id: admissible (the AOP-6 boot
//     loader).
//  2. Neither the module nor the process has Extension: WeaveDrive: not
//     admissible.
//  3. The availability type is the process's Availability-Type tag, else
//     the module's, else Assignments. Anything but Assignments, Individual
//     or Library is ErrUnsupported.
//  4. The attestors are the process's Scheduler tag and every Attestor tag.
//     An item owned by one of them, tagged Type: Attestation, Message: <id>,
//     Data-Protocol: ao, in a block at a height from 0 to the message's
//     Block-Height, makes the id admissible, whatever the availability type.
//  5. Individual: an item of the attestors tagged Type: Available, ID: <id>,
//     Data-Protocol: WeaveDrive, in the same blocks, also makes it
//     admissible.
//  6. Library without an attestation: ErrUnsupported (the reference throws:
//     "does not support Library attestations yet").
//  7. Otherwise not admissible: ErrNotAdmissible, which wraps
//     arweave.ErrNotFound.
//
// Steps 4 and 5 are the reference's GraphQL queries, as TxQuery values
// (Owners: the attestors, MinHeight: 0, MaxHeight: the Block-Height):
//
//	transactions(owners: [<attestors>], block: {min: 0, max: <Block-Height>},
//	  tags: [{name: "Type", values: ["Attestation"]},
//	         {name: "Message", values: ["<id>"]},
//	         {name: "Data-Protocol", values: ["ao"]}])
//
//	transactions(owners: [<attestors>], block: {min: 0, max: <Block-Height>},
//	  tags: [{name: "Type", values: ["Available"]},
//	         {name: "ID", values: ["<id>"]},
//	         {name: "Data-Protocol", values: ["WeaveDrive"]}])
//
// An admissible id whose data the store does not hold is ErrUnavailable, a
// failure, not "not found": another node would find it, so a process must
// not be told it is missing.
//
// # Determinism
//
// The answer to a request is a function of the request and of the blocks at
// heights up to its Block-Height, so it does not depend on when it is asked:
//
//   - Attestations and Available records count only once mined at a height
//     up to the message's Block-Height. A pending (unmined) one has no
//     height and does not count yet; one mined later does not count for
//     earlier messages.
//   - /tx/<id> exists only once the item is in a block at a height up to the
//     message's Block-Height (the header is immutable from then on).
//   - /block/<h> exists only for h up to the message's Block-Height: a
//     process cannot read the future. A block the store lacks below that
//     height is ErrUnavailable.
//   - The data of an id is immutable (the id is the hash of a signature
//     over it).
//   - A negative answer that the store could still change (no attestation,
//     an unknown or pending /tx) is given only if the store has reached the
//     message's Block-Height (Store.Info); before, it is ErrUnavailable.
//     Pending items are mined above the store's height, so once the store
//     is there they can never count.
//
// A remote store is trusted to index every block it reports in Info.
//
// Mode test and AllowIDs are node configuration: they make results depend
// on the node, as the reference's test mode does. Use them only where that
// is intended (development, a node with a fixed model list).
//
// # Deviations from the reference
//
//   - Paths are parsed by segment: the reference tests path.includes('/tx')
//     and '/block' when reading, so /data/tx2… and /data/block… were read as
//     header files (and the read crashed).
//   - /tx and /block are restricted to heights up to the message's (the
//     reference asks the gateway for whatever it has now, retrying for up to
//     100 s and then serving the error page as the file).
//   - With no Scheduler tag and no Attestor tag nothing can attest: the
//     reference sends owners: [], which a gateway may read as no owner
//     filter at all (aogo's own gateway does), so that anyone could attest.
//   - Ids are validated before anything else: the reference interpolates
//     them into its GraphQL text.
//   - Not admissible is an error the vm can tell from not found
//     (ErrNotAdmissible); the reference's loader throws "HALT: FILE NOT
//     FOUND" for it.
//   - Test mode also skips the attachment check.
//   - File sizes are capped (Config.MaxFileSize): a larger file is an error
//     wrapping arweave.ErrTooLarge, a node limit, not "not found".
package weavedrive
