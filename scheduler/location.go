package scheduler

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/aogo-dev/aogo/arweave"
)

// LocationType is the Type tag of the record that tells clients where an SU
// is (protocol.md 3.10).
const LocationType = "Scheduler-Location"

// PublishLocation makes sure that the newest Scheduler-Location record of
// the SU wallet signer in store names url and ttl, and returns that record's
// id. This is what @permaweb/ao-scheduler-utils reads to turn the address a
// process names in its Scheduler tag into the SU's URL: the newest data item
// owned by the address with tags Data-Protocol=ao and
// Type=Scheduler-Location (GraphQL: owners, tags, sort HEIGHT_DESC, first
// 1), whose Url and Time-To-Live (milliseconds) tags it requires.
//
// When the newest record already says the same, nothing is published, so a
// node may call this at every start. Otherwise a new record is signed (tags
// Data-Protocol=ao, Variant=ao.TN.1, Type=Scheduler-Location, Url,
// Time-To-Live; a random anchor, so that going back to an earlier URL makes
// a new item rather than the id of the old one) and put into store.
//
// url is the SU's public base URL (http or https; clients trim trailing
// slashes), ttl how long clients may cache it (at least 1 ms).
func PublishLocation(ctx context.Context, store arweave.Store, signer arweave.Signer, url string, ttl time.Duration) (id string, err error) {
	switch {
	case store == nil:
		return "", errors.New("scheduler: publish location: no store")
	case signer == nil:
		return "", errors.New("scheduler: publish location: no signer")
	case ttl < time.Millisecond:
		return "", fmt.Errorf("scheduler: publish location: Time-To-Live %v is below 1 ms", ttl)
	}
	if err := checkLocationURL(url); err != nil {
		return "", fmt.Errorf("scheduler: publish location: %w", err)
	}
	ttlMS := strconv.FormatInt(ttl.Milliseconds(), 10)
	owner := arweave.SignerAddress(signer)
	page, err := store.Query(ctx, arweave.TxQuery{
		Owners: []string{owner},
		Tags: []arweave.TagFilter{
			{Name: "Data-Protocol", Values: []string{"ao"}},
			{Name: "Type", Values: []string{LocationType}},
		},
		Sort:  arweave.HeightDesc,
		First: 1,
	})
	if err != nil {
		return "", fmt.Errorf("scheduler: publish location: look up the current record of %s: %w", owner, err)
	}
	if len(page.Edges) > 0 && page.Edges[0].Node != nil {
		cur := page.Edges[0].Node
		if cur.Tags.Value("Url") == url && cur.Tags.Value("Time-To-Live") == ttlMS {
			return cur.ID, nil
		}
	}
	anchor := make([]byte, 32)
	if _, err := rand.Read(anchor); err != nil {
		return "", fmt.Errorf("scheduler: publish location: anchor: %w", err)
	}
	item, err := arweave.SignDataItem(signer, arweave.ItemOptions{
		Anchor: string(anchor),
		Tags: []arweave.Tag{
			{Name: "Data-Protocol", Value: "ao"},
			{Name: "Variant", Value: "ao.TN.1"},
			{Name: "Type", Value: LocationType},
			{Name: "Url", Value: url},
			{Name: "Time-To-Live", Value: ttlMS},
		},
	})
	if err != nil {
		return "", fmt.Errorf("scheduler: publish location: sign: %w", err)
	}
	if err := store.PutItems(ctx, item); err != nil {
		return "", fmt.Errorf("scheduler: publish location %s: %w", item.ID(), err)
	}
	return item.ID(), nil
}

// checkLocationURL accepts absolute http(s) URLs with a host.
func checkLocationURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("url %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q is not an absolute http(s) URL", s)
	}
	return nil
}
