package renderer

import (
	"context"
	"fmt"
	"sync"
)

// RenderFleet renders inputs concurrently (Options.Concurrency workers) and
// calls emit with each Result in input order, as soon as it and all before it
// are ready; at most twice the worker count of Results are held at once, so
// memory stays flat for any fleet size. emit is called from one goroutine at
// a time. The first error (a render error or one returned by emit) stops the
// run and is returned; Results after it are not emitted.
func (r *Renderer) RenderFleet(ctx context.Context, inputs []Input, emit func(Result) error) error {
	return r.RenderFleetLifecycle(ctx, inputs, nil, emit)
}

// RenderFleetLifecycle is RenderFleet with a life cycle per cluster: each
// input is rendered by RenderLifecycle with lifecycle(input). A nil
// lifecycle renders every cluster plainly, exactly like RenderFleet.
func (r *Renderer) RenderFleetLifecycle(ctx context.Context, inputs []Input, lifecycle func(Input) Lifecycle, emit func(Result) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type outcome struct {
		res Result
		err error
	}
	type job struct {
		in  Input
		out chan outcome
	}
	workers := r.opts.concurrency()
	jobs := make(chan job)
	order := make(chan chan outcome, 2*workers)

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				var res Result
				var err error
				if lifecycle == nil {
					res, err = r.Render(ctx, j.in)
				} else {
					res, err = r.RenderLifecycle(ctx, j.in, lifecycle(j.in))
				}
				j.out <- outcome{res, err}
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(jobs)
		for _, in := range inputs {
			j := job{in: in, out: make(chan outcome, 1)}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
			select {
			case order <- j.out:
			case <-ctx.Done():
				return
			}
		}
	}()

	var first error
	for ch := range order {
		o := <-ch
		if first != nil {
			continue
		}
		switch {
		case o.err != nil:
			first = o.err
		default:
			if err := emit(o.res); err != nil {
				first = fmt.Errorf("cluster %q: %w", o.res.ClusterID(), err)
			}
		}
		if first != nil {
			cancel()
		}
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
