package user

import "encoding/json"

// jsonMarshal encodes an object for a JSON patch.
func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
