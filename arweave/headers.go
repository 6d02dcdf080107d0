package arweave

import "strconv"

// TxHeader is a transaction or item in the JSON shape of an Arweave
// format-2 transaction, as GET /tx/{id} answers (tag names and values are
// b64url, as Arweave encodes them; data is not included).
type TxHeader struct {
	Format    int         `json:"format"`
	ID        string      `json:"id"`
	LastTx    string      `json:"last_tx"`
	Owner     string      `json:"owner"`
	Tags      []TagHeader `json:"tags"`
	Target    string      `json:"target"`
	Quantity  string      `json:"quantity"`
	Data      string      `json:"data"`
	DataSize  string      `json:"data_size"`
	DataRoot  string      `json:"data_root"`
	Reward    string      `json:"reward"`
	Signature string      `json:"signature"`
	BundledIn string      `json:"bundledIn,omitempty"`
}

// TagHeader is a tag of a TxHeader, b64url encoded.
type TagHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// NewTxHeader is the GET /tx/{id} view of a transaction.
func NewTxHeader(tx *Transaction) TxHeader {
	tags := make([]TagHeader, len(tx.Tags))
	for i, t := range tx.Tags {
		tags[i] = TagHeader{Name: B64([]byte(t.Name)), Value: B64([]byte(t.Value))}
	}
	return TxHeader{
		Format:    2,
		ID:        tx.ID,
		LastTx:    B64(tx.Anchor),
		Owner:     B64(tx.Owner),
		Tags:      tags,
		Target:    tx.Target,
		Quantity:  "0",
		DataSize:  strconv.FormatInt(tx.DataSize, 10),
		Reward:    "0",
		Signature: B64(tx.Signature),
		BundledIn: tx.BundledIn,
	}
}

// BlockHeader is the subset of Arweave's block JSON (GET /block/height/{h})
// a Store knows.
type BlockHeader struct {
	IndepHash     string `json:"indep_hash"`
	Height        int64  `json:"height"`
	Timestamp     int64  `json:"timestamp"`
	PreviousBlock string `json:"previous_block"`
}

// NewBlockHeader is the GET /block/height/{h} view of a block.
func NewBlockHeader(b *Block) BlockHeader {
	return BlockHeader{IndepHash: b.ID, Height: b.Height, Timestamp: b.Timestamp, PreviousBlock: b.Previous}
}
