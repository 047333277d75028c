package renderer

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// schemaURL is where the chart's schema is registered, as Helm does.
const schemaURL = "file:///values.schema.json"

// compileSchema compiles the chart's values.schema.json once, with the
// validator Helm itself uses (santhosh-tekuri/jsonschema v6). Unlike Helm it
// registers no network loaders: the schema has no remote references, and
// rendering never reaches out. Nil when the chart has no schema.
func compileSchema(ch *chart.Chart) (*jsonschema.Schema, error) {
	if ch.Schema == nil {
		return nil, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ch.Schema))
	if err != nil {
		return nil, fmt.Errorf("chart %s: values.schema.json: %w", ch.Name(), err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("chart %s: values.schema.json: %w", ch.Name(), err)
	}
	s, err := c.Compile(schemaURL)
	if err != nil {
		return nil, fmt.Errorf("chart %s: values.schema.json: %w", ch.Name(), err)
	}
	return s, nil
}

// compileSchema compiles the chart's schema once per Renderer.
func (r *Renderer) compileSchema() error {
	r.schemaOnce.Do(func() { r.schema, r.schemaErr = compileSchema(r.chart) })
	return r.schemaErr
}

// validateValues checks coalesced values against the compiled schema, with
// Helm's error wording.
func (r *Renderer) validateValues(vals chartutil.Values) error {
	if err := r.compileSchema(); err != nil {
		return err
	}
	if r.schema == nil {
		return nil
	}
	if err := r.schema.Validate(vals.AsMap()); err != nil {
		msg := strings.TrimPrefix(err.Error(), "jsonschema validation failed with '"+schemaURL+"#'\n")
		return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n%s", r.chart.Name(), msg)
	}
	return nil
}
