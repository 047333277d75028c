package metricsreg

// OperationLabel bounds an admission operation label to the four the API
// server sends; anything else (a forged review from a network peer) becomes
// "other", so no request can grow a metric's cardinality.
func OperationLabel(op string) string {
	switch op {
	case "CREATE", "UPDATE", "DELETE", "CONNECT":
		return op
	}
	return "other"
}
