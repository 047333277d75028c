package userclient

import (
	"context"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// quiet returns ctx with a discarding logger: client-go logs request and
// response bodies (Secret data) through the context's logger at high
// verbosity.
func quiet(ctx context.Context) context.Context { return logr.NewContext(ctx, logr.Discard()) }

// quietClient runs every request of the client it wraps with quiet(ctx).
type quietClient struct{ client.WithWatch }

var _ client.WithWatch = (*quietClient)(nil)

// Get implements client.Reader.
func (q *quietClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	return q.WithWatch.Get(quiet(ctx), key, obj, opts...)
}

// List implements client.Reader.
func (q *quietClient) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return q.WithWatch.List(quiet(ctx), list, opts...)
}

// Apply implements client.Writer.
func (q *quietClient) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
	return q.WithWatch.Apply(quiet(ctx), obj, opts...)
}

// Create implements client.Writer.
func (q *quietClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	return q.WithWatch.Create(quiet(ctx), obj, opts...)
}

// Delete implements client.Writer.
func (q *quietClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	return q.WithWatch.Delete(quiet(ctx), obj, opts...)
}

// Update implements client.Writer.
func (q *quietClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	return q.WithWatch.Update(quiet(ctx), obj, opts...)
}

// Patch implements client.Writer.
func (q *quietClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	return q.WithWatch.Patch(quiet(ctx), obj, patch, opts...)
}

// DeleteAllOf implements client.Writer.
func (q *quietClient) DeleteAllOf(ctx context.Context, obj client.Object, opts ...client.DeleteAllOfOption) error {
	return q.WithWatch.DeleteAllOf(quiet(ctx), obj, opts...)
}

// Watch implements client.WithWatch. A watch is bounded like any request:
// it ends after Options.Timeout or Options.MaxBodyBytes.
func (q *quietClient) Watch(ctx context.Context, list client.ObjectList, opts ...client.ListOption) (watch.Interface, error) {
	return q.WithWatch.Watch(quiet(ctx), list, opts...)
}

// Status implements client.StatusClient.
func (q *quietClient) Status() client.SubResourceWriter { return q.SubResource("status") }

// SubResource implements client.SubResourceClientConstructor.
func (q *quietClient) SubResource(subResource string) client.SubResourceClient {
	return quietSubResource{q.WithWatch.SubResource(subResource)}
}

// quietSubResource runs every request of a subresource client with
// quiet(ctx).
type quietSubResource struct{ client.SubResourceClient }

// Get implements client.SubResourceReader.
func (q quietSubResource) Get(ctx context.Context, obj, subResource client.Object, opts ...client.SubResourceGetOption) error {
	return q.SubResourceClient.Get(quiet(ctx), obj, subResource, opts...)
}

// Create implements client.SubResourceWriter.
func (q quietSubResource) Create(ctx context.Context, obj, subResource client.Object, opts ...client.SubResourceCreateOption) error {
	return q.SubResourceClient.Create(quiet(ctx), obj, subResource, opts...)
}

// Update implements client.SubResourceWriter.
func (q quietSubResource) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	return q.SubResourceClient.Update(quiet(ctx), obj, opts...)
}

// Patch implements client.SubResourceWriter.
func (q quietSubResource) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	return q.SubResourceClient.Patch(quiet(ctx), obj, patch, opts...)
}

// Apply implements client.SubResourceWriter.
func (q quietSubResource) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.SubResourceApplyOption) error {
	return q.SubResourceClient.Apply(quiet(ctx), obj, opts...)
}
