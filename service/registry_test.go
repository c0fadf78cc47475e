package service_test

import "github.com/carillon/carillon/internal/testrig/registry"

// providers is the registry serve builds: the rules are tested against the
// providers' own descriptions.
var providers = registry.Providers()
