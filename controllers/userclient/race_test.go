//go:build race

package userclient

// The race detector turns off sync.Pool reuse and some of the compiler's
// allocation shortcuts: the same work allocates about twice as much.
func init() { allocFactor = 8 }
