package download

import (
	"fmt"
	"time"
)

// DefaultTimeout bounds connecting, the TLS handshake and waiting for response
// headers; a download itself may take as long as the context allows.
const DefaultTimeout = 30 * time.Second

// endpointName is how errors name the endpoint.
func (c *Client) endpointName() string {
	if c.loc.Endpoint == "" {
		return fmt.Sprintf("AWS S3 (%s)", c.loc.SigningRegion())
	}
	return c.loc.Endpoint
}
