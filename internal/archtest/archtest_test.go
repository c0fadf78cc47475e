// Package archtest holds carillon's dependency rule: the domain imports
// nothing of ours, the rules import the domain, and adapters never import
// each other; only cmd/carillon wires concrete parts together.
package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/carillon/carillon"

// testOnly lists the packages that only tests may import: shared test
// setup, which would otherwise drag fixed keys and test stores into the
// binary.
var testOnly = []string{"internal/testrig"}

// allowed lists, for each package of the module, the packages of the module
// it may import. A package missing from the list fails the test: a new
// package must say where it stands.
var allowed = map[string][]string{
	"":                               {},
	"phone":                          {},
	"secretbox":                      {},
	"telemetry":                      {},
	"config":                         {},
	"client":                         {},
	"wire":                           {""},
	"service":                        {"", "phone", "telemetry", "wire"},
	"store":                          {""},
	"store/storetest":                {""},
	"outbox":                         {"", "service", "telemetry"},
	"provider/sandbox":               {"", "phone"},
	"provider/whatsapp":              {"", "phone", "provider/providertest", "provider/whatsapp/whatsapptest"},
	"provider/whatsapp/whatsapptest": {"", "provider/providertest"},
	"provider/telegram":              {"", "provider/providertest", "provider/telegram/telegramtest"},
	"provider/telegram/telegramtest": {"", "provider/providertest"},
	"provider/providertest":          {""},
	"webhook":                        {"", "service", "telemetry"},
	"media":                          {""},
	"bench/webhookload":              {"", "secretbox", "service", "store", "telemetry", "webhook", "wire"},
	"api":                            {},
	"httpapi":                        {"", "service", "wire", "telemetry", "api"},
	"cmd/carillon":                   nil, // the wiring: anything
	"internal/archtest":              {},
	"internal/testrig":               {"", "httpapi", "secretbox", "service", "store"},
	"bench/sendload":                 {},
	"bench/ceiling":                  {},
	"bench/e2ewait":                  {},
	"e2e":                            {"provider/whatsapp/whatsapptest", "provider/telegram/telegramtest"},
}

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func TestDependencyRule(t *testing.T) {
	cmd := exec.Command("go", "list", "-json", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("go list is not available: %v", err)
	}
	dec := json.NewDecoder(out)
	seen := 0
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		name := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, imp := range p.Imports {
			for _, only := range testOnly {
				if imp == module+"/"+only {
					t.Errorf("%s imports %s: only tests may import it", p.ImportPath, imp)
				}
			}
		}
		allow, known := allowed[name]
		if !known {
			t.Errorf("package %q is not in the dependency rule: add it to allowed with what it may import", name)
			continue
		}
		if allow == nil {
			continue
		}
		ok := map[string]bool{name: true}
		for _, a := range allow {
			ok[a] = true
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			dep := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
			if !ok[dep] {
				t.Errorf("%s imports %s: not allowed by the dependency rule", p.ImportPath, imp)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if seen < 10 {
		t.Fatalf("go list found only %d packages", seen)
	}
}
