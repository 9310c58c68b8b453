// pulumi-freebsd-pygen: Python SDK code generation for our Python language host.
//
// The CLI's `pulumi package gen-sdk --language python` asks the Python language host
// to run GeneratePackage.  Pulumi's Python code generator is Go code in pkg/v3, and
// the Go language host cannot be built here, so scripts/langhost/langhost.py shells
// out to this small program (built by scripts/build-pulumi next to the CLI).
//
// Input (stdin): a GeneratePackageRequest in protobuf JSON form.
// Output (stdout): a GeneratePackageResponse in protobuf JSON form.
// A non-zero exit status with a message on stderr means the request failed.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	pygen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/encoding/protojson"
)

func run() error {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	var req pulumirpc.GeneratePackageRequest
	if err := protojson.Unmarshal(in, &req); err != nil {
		return fmt.Errorf("decode request: %w", err)
	}

	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(req.Schema), &spec); err != nil {
		return fmt.Errorf("decode schema: %w", err)
	}

	var loader schema.ReferenceLoader
	if req.LoaderTarget != "" {
		client, err := schema.NewLoaderClient(req.LoaderTarget)
		if err != nil {
			return fmt.Errorf("connect to schema loader: %w", err)
		}
		defer client.Close()
		loader = schema.NewCachedLoader(client)
	}

	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return fmt.Errorf("bind schema: %w", err)
	}
	resp := &pulumirpc.GeneratePackageResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}
	if !diags.HasErrors() {
		files, err := pygen.GeneratePackage("pulumi-language-python", pkg, req.ExtraFiles, loader)
		if err != nil {
			return fmt.Errorf("generate package: %w", err)
		}
		for name, data := range files {
			out := filepath.Join(req.Directory, name)
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return err
			}
		}
	}
	b, err := protojson.Marshal(resp)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(b, '\n'))
	return err
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-freebsd-pygen:", err)
		os.Exit(1)
	}
}
