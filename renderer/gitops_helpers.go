package renderer

// NewSingle is New for a process that renders one cluster and exits (the
// Argo CD plugin's generate, the KRM function): it skips the shape cache,
// whose two probe renders per shape pay off only from the third cluster on.
// The output is the same as New's.
func NewSingle(opts Options) (*Renderer, error) {
	r, err := New(opts)
	if err != nil {
		return nil, err
	}
	r.noCache = true
	return r, nil
}
