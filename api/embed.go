// Package api holds the OpenAPI document of carillon's /v1 API, embedded in
// the binary so that every server answers the document of its own version.
// It imports nothing of the module.
package api

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document of the /v1 API, in YAML, as served at
// GET /v1/openapi.yaml. Callers must not change it.
//
//go:embed openapi.yaml
var OpenAPI []byte
