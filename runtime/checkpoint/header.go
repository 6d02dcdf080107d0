package checkpoint

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"github.com/aogo-dev/aogo/runtime/checkpoint/internal/checkpointpb"
	"google.golang.org/protobuf/proto"
)

// NB: the magic and the meaning of each version must not change: files
// written by one aogo are read by the next. A new layout takes a new
// version, and readers keep accepting the old ones (or treat them as
// damaged, which costs only replay).
const (
	magic         = "AOGOCKPT"
	formatVersion = 1
	maxMetaLen    = 64 << 10
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks a file whose content does not verify.
var errCorrupt = errors.New("checkpoint: damaged file")

// appendHeader appends the file header of m to b.
func appendHeader(b []byte, m Meta) ([]byte, error) {
	if m.Process == "" {
		return nil, errors.New("metadata without a process")
	}
	meta, err := proto.Marshal(&checkpointpb.Meta{
		Process:     m.Process,
		Module:      m.Module,
		Nonce:       m.Nonce,
		Timestamp:   m.Timestamp,
		BlockHeight: m.BlockHeight,
		HashChain:   m.HashChain,
		Assignment:  m.Assignment,
		CronIndex:   int64(m.CronIndex),
		StateHash:   m.StateHash[:],
		Ordinal:     m.Ordinal,
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	start := len(b)
	b = append(b, magic...)
	b = append(b, formatVersion)
	b = binary.AppendUvarint(b, uint64(len(meta)))
	b = append(b, meta...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli)), nil
}

// crcReader feeds what it reads to a CRC.
type crcReader struct {
	r   *bufio.Reader
	crc hash.Hash32
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.crc.Write(p[:n])
	return n, err
}

func (c *crcReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.crc.Write([]byte{b})
	}
	return b, err
}

// readHeader reads and verifies a file header, leaving r at the state.
// Errors wrap errCorrupt (a short file included).
func readHeader(r *bufio.Reader) (Meta, error) {
	cr := &crcReader{r: r, crc: crc32.New(castagnoli)}
	head := make([]byte, len(magic)+1)
	if _, err := io.ReadFull(cr, head); err != nil {
		return Meta{}, fmt.Errorf("%w: header: %v", errCorrupt, err)
	}
	if string(head[:len(magic)]) != magic {
		return Meta{}, fmt.Errorf("%w: not a checkpoint file", errCorrupt)
	}
	if v := head[len(magic)]; v != formatVersion {
		return Meta{}, fmt.Errorf("%w: format version %d is not %d", errCorrupt, v, formatVersion)
	}
	n, err := binary.ReadUvarint(cr)
	if err != nil || n > maxMetaLen {
		return Meta{}, fmt.Errorf("%w: bad metadata length", errCorrupt)
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(cr, raw); err != nil {
		return Meta{}, fmt.Errorf("%w: metadata: %v", errCorrupt, err)
	}
	want := cr.crc.Sum32()
	var sum [4]byte
	if _, err := io.ReadFull(r, sum[:]); err != nil {
		return Meta{}, fmt.Errorf("%w: header checksum: %v", errCorrupt, err)
	}
	if binary.BigEndian.Uint32(sum[:]) != want {
		return Meta{}, fmt.Errorf("%w: header checksum mismatch", errCorrupt)
	}
	var pb checkpointpb.Meta
	if err := proto.Unmarshal(raw, &pb); err != nil {
		return Meta{}, fmt.Errorf("%w: metadata: %v", errCorrupt, err)
	}
	if len(pb.StateHash) != 32 {
		return Meta{}, fmt.Errorf("%w: state hash of %d bytes", errCorrupt, len(pb.StateHash))
	}
	m := Meta{
		Process:     pb.Process,
		Module:      pb.Module,
		Nonce:       pb.Nonce,
		Timestamp:   pb.Timestamp,
		BlockHeight: pb.BlockHeight,
		HashChain:   pb.HashChain,
		Assignment:  pb.Assignment,
		CronIndex:   int(pb.CronIndex),
		Ordinal:     pb.Ordinal,
	}
	copy(m.StateHash[:], pb.StateHash)
	return m, nil
}
