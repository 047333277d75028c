// Package browser runs Debian's chromium headless, offline and with a
// throw-away profile, so tests see the fleet report's HTML as a browser
// renders it (DumpDOM after its scripts ran, Screenshot). A missing
// chromium fails the test with the command that installs it (Install).
//
// It may import the core internal/testenv and the standard library.
package browser
