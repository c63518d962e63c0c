package importrules

import (
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/scarcitylabs/scarcity"

// clientPackages are the packages an agent or a stream reader compiles:
// none may depend on nats-server.
var clientPackages = []string{
	module + "/transport/agentapi",
	module + "/transport/natstransport",
	module + "/transport/natsauth",
	module + "/transport/faultinject",
	module + "/events",
}

// isDomain reports whether pkg, a package of the module, is a domain
// package: outside transport/ and examples/, and not the contract's
// generator (contract/internal), which describes the NATS interface from
// transport/agentapi's wire types (package contract itself imports
// nothing).
func isDomain(pkg string) bool {
	return !under(pkg, module+"/transport") && !under(pkg, module+"/examples") && !under(pkg, module+"/contract/internal")
}

// under reports whether pkg is dir or a package below it.
func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

// noTransportOrNATS is the rule of domain packages.
func noTransportOrNATS(pkg string) bool {
	return under(pkg, module+"/transport") || strings.HasPrefix(pkg, "github.com/nats-io/")
}

// exporterOrSDK is the rule of every library package: the OpenTelemetry
// metrics API, never its SDK or an exporter such as Prometheus's.
func exporterOrSDK(pkg string) bool {
	return under(pkg, "go.opentelemetry.io/otel/sdk") || under(pkg, "go.opentelemetry.io/otel/exporters") ||
		under(pkg, "github.com/prometheus")
}

// noNATSServer is the rule of client packages.
func noNATSServer(pkg string) bool { return under(pkg, "github.com/nats-io/nats-server") }

func TestImportRules(t *testing.T) {
	graph := importGraph(t)
	var domain []string
	for pkg := range graph {
		if under(pkg, module) && isDomain(pkg) {
			domain = append(domain, pkg)
		}
	}
	slices.Sort(domain)
	for _, want := range []string{module, module + "/auction", module + "/ledger", module + "/benchkit"} {
		if !slices.Contains(domain, want) {
			t.Fatalf("domain package %s not found by go list: is the module layout what this test expects?", want)
		}
	}
	for _, pkg := range domain {
		for _, chain := range forbidden(graph, pkg, noTransportOrNATS) {
			t.Errorf("domain package %s must depend on no transport/... or nats package, but depends on %s:\n\t%s",
				pkg, chain[len(chain)-1], strings.Join(chain, "\n\t→ "))
		}
	}
	for pkg := range graph {
		if !under(pkg, module) || under(pkg, module+"/examples") {
			continue
		}
		for _, chain := range forbidden(graph, pkg, exporterOrSDK) {
			t.Errorf("library package %s must use the OpenTelemetry API only (exporters belong to programs), but depends on %s:\n\t%s",
				pkg, chain[len(chain)-1], strings.Join(chain, "\n\t→ "))
		}
	}
	for _, pkg := range clientPackages {
		if _, ok := graph[pkg]; !ok {
			t.Fatalf("client package %s not found by go list: update clientPackages", pkg)
		}
		for _, chain := range forbidden(graph, pkg, noNATSServer) {
			t.Errorf("client package %s must not depend on nats-server (only transport/natsembed and transport/natstest may), but depends on %s:\n\t%s",
				pkg, chain[len(chain)-1], strings.Join(chain, "\n\t→ "))
		}
	}
}

// importGraph returns the direct non-test imports of every package of the
// module and of their dependencies, standard library excluded.
func importGraph(t *testing.T) map[string][]string {
	t.Helper()
	root := run(t, "go", "list", "-m", "-f", "{{.Dir}}")
	out := run(t, "go", "-C", root, "list", "-deps",
		"-f", "{{if not .Standard}}{{.ImportPath}}{{range .Imports}} {{.}}{{end}}{{end}}", "./...")
	graph := map[string][]string{}
	for line := range strings.Lines(out) {
		fields := strings.Fields(line)
		if len(fields) > 0 {
			graph[fields[0]] = fields[1:]
		}
	}
	return graph
}

// run runs a command and returns its standard output, trimmed.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// forbidden returns, for every package bad reports that from depends on,
// the shortest chain of imports from from to it. It does not look past a
// bad package: the chains name the first one on each path.
func forbidden(graph map[string][]string, from string, bad func(string) bool) [][]string {
	parent := map[string]string{from: ""}
	queue := []string{from}
	var chains [][]string
	for len(queue) > 0 {
		pkg := queue[0]
		queue = queue[1:]
		for _, imp := range graph[pkg] {
			if _, seen := parent[imp]; seen {
				continue
			}
			parent[imp] = pkg
			if !bad(imp) {
				queue = append(queue, imp)
				continue
			}
			chain := []string{imp}
			for p := pkg; p != ""; p = parent[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			chains = append(chains, chain)
		}
	}
	return chains
}
