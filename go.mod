module github.com/scarcitylabs/scarcity

go 1.26

require (
	github.com/benbjohnson/clock v1.3.5 // indirect
	github.com/cockroachdb/apd/v3 v3.2.3 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	pgregory.net/rapid v1.3.0 // indirect
)
