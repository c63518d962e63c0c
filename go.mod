module github.com/scarcitylabs/scarcity

go 1.26

require (
	github.com/benbjohnson/clock v1.3.5
	github.com/cockroachdb/apd/v3 v3.2.3
	github.com/google/go-cmp v0.7.0
	pgregory.net/rapid v1.3.0
)
