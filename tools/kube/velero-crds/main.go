// Command velero-crds prints Velero's own CustomResourceDefinitions, as Velero's Go module
// embeds them, so the local API server validates Velero objects as a real install does.
//
//	velero-crds restores.velero.io backups.velero.io > crds.json
//
// The output is one Kubernetes List (JSON), which kubectl apply accepts.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/vmware-tanzu/velero/config/crd/v1/crds"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: velero-crds NAME... (e.g. restores.velero.io backups.velero.io)")
		os.Exit(2)
	}
	byName := map[string]any{}
	for _, crd := range crds.CRDs {
		crd.APIVersion = "apiextensions.k8s.io/v1"
		crd.Kind = "CustomResourceDefinition"
		byName[crd.Name] = crd
	}
	items := []any{}
	for _, name := range os.Args[1:] {
		crd, ok := byName[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "velero-crds: Velero has no CRD named %q\n", name)
			os.Exit(1)
		}
		items = append(items, crd)
	}
	out := map[string]any{"apiVersion": "v1", "kind": "List", "items": items}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "velero-crds: %v\n", err)
		os.Exit(1)
	}
}
