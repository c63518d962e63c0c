// Package contract is the published contract of a scarcity market's NATS
// interface, for agents written in any language: an AsyncAPI 3 document
// (asyncapi.json) naming every command subject with its request and reply,
// every event subject with its payload, the error codes and what an agent
// may publish and receive; and a JSON Schema (draft-07) for every payload
// under schemas/v1/: events/<type>.json for each event's data (the
// CloudEvent's dataschema attribute is its $id, events.SchemaBase +
// "events/<type>.json"), events/envelope.json for the CloudEvents envelope,
// and commands/<verb>.request.json and <verb>.reply.json for the command
// API (package transport/agentapi).
//
// The files are generated from the Go types that encode and decode the
// messages, so they cannot drift: a test fails, saying how to regenerate,
// when they differ from what the generator writes now. After changing a
// payload or a command body, run
//
//	go generate ./contract
//
// and commit the result. Files holds them for Go programs that validate
// messages in their own tests.
package contract

import "embed"

//go:generate go run ./internal/gencontract

// Files holds asyncapi.json and schemas/, as generated.
//
//go:embed asyncapi.json schemas
var Files embed.FS
