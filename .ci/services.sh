# Sourced by .ci/run: starts the services the tests need and exports how to reach them.
true
