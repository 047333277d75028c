package testenv

// Must fails the test at once when err is not nil: the one spelling of the
// "setup step must work" check every test package used to copy.
func Must(t TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
