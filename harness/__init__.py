"""Local execution harness for asl-guard: runs original and wrapped ASL definitions for real.

The pieces, each in its own module:

- `paths`: where the binaries and tools are (`CARGO_TARGET_DIR`, default
  /var/tmp/asl-guard-target).
- `dynalite`: the DynamoDB emulator on 127.0.0.1 that the lease Lambda talks to.
- `runtime_api`: a Lambda Runtime API stand-in on 127.0.0.1 and a pool of real `bootstrap`
  processes polling it.
- `stubs`: business Task functions in Python that record start and end times, fail on demand
  or run long.
- `moto_patches`: what the harness changes in moto's ASL interpreter, each change a documented
  harness limitation (see README.md).
- `local`: `LocalStepFunctions`, which starts all of the above plus moto's Step Functions
  server on 127.0.0.1 and runs executions.
- `guard`: calls the real `asl-guard` CLI to wrap definitions.
"""
