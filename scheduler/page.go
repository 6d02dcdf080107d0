package scheduler

// DefaultPageSize is the page size of GET /{pid} when no limit is given,
// as the reference SU.
const DefaultPageSize = 100
